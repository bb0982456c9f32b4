/**
 * One-click approval: a human approves a stored proposal from the chat channel. The click replaces
 * only the `autoRemediate` switch: the approver re-derives the diagnosis and the policy from the
 * stored job configuration and failure text through the same guard, under the operator's own gates
 * (accounts, role patterns or tag, resource patterns, origin rules), and attaches nothing that differs
 * from what the channel showed. Stored records are untrusted: nothing in them is believed except as
 * input to that re-derivation.
 */
import { createHash } from 'node:crypto';
import { diagnose } from './diagnose.js';
import type { AutoApplyDecision, GuardConfig, RefusalCode } from './guard.js';
import { decideAutoApply, REFUSAL_CODES, refusalText } from './guard.js';
import type { PolicyDocument } from './propose.js';
import { policyNameOf } from './propose.js';
import type { Diagnosis, JobContext, Verification } from './types.js';

/** What the remediator stores for a proposal a human may approve; untrusted when read back. */
export interface ProposalRecord {
  readonly proposalId: string;
  readonly roleArn: string;
  readonly policyName: string;
  /** The policy the channel showed. */
  readonly policy: PolicyDocument;
  /** The failed job as the remediator saw it, failure text included. */
  readonly job: JobContext;
  /** What SimulatePrincipalPolicy found allowed: it can only remove grants, never add one. */
  readonly verification: Verification;
}

/**
 * A stored proposal under review: its fields and the diagnosis the approver re-derived from them
 * (never a stored one). The approval message renders it.
 */
export interface ApprovalRecord extends ProposalRecord {
  readonly diagnosis: Diagnosis;
}

/**
 * The life of a stored proposal. Each click moves an open proposal once, by a conditional write:
 * `applying` while the IAM write runs, then `applied` or `failed`; or straight to `refused` or
 * `expired`. A decided proposal never changes again.
 */
export const APPROVAL_STATES = {
  applying: 'applying',
  applied: 'applied',
  failed: 'failed',
  refused: 'refused',
  expired: 'expired',
} as const;
export type ApprovalState = (typeof APPROVAL_STATES)[keyof typeof APPROVAL_STATES];

/** The operator's gates for approvals: the guard's, less the switch the human's click replaces. */
export type ApprovalConfig = Omit<GuardConfig, 'autoRemediate'>;

/**
 * Identifies a proposal by the failed job, the role and the exact policy: each failure gets its own
 * single-use button, and the same fix for another role or job is another id.
 */
export const proposalIdOf = (job: JobContext, roleArn: string, policy: PolicyDocument): string =>
  createHash('sha256')
    .update(`${job.jobArn ?? job.jobName ?? ''}\n${roleArn}\n${JSON.stringify(policy)}`)
    .digest('hex')
    .slice(0, 24);

const PROPOSAL_ID = /^[0-9a-f]{24}$/;
/** Who clicked, as the chat payload names them: an IAM or chat user name, an email, an ARN. */
const APPROVER = /^[\w.@+=,:/-]{1,128}$/;

/** What a click asks for; every field comes from the chat payload and is untrusted. */
export interface ApprovalRequest {
  readonly proposalId?: string;
  /** Who approved, when the payload says so and the value looks like an identity. */
  readonly approvedBy?: string;
}

/**
 * Reads the custom action's payload. AWS Chatbot sends exactly the command's `--payload`
 * (`{"proposalId": "..."}`), which names no user today; `approvedBy` is read if a future command
 * passes one. Anything that is not a well-formed value is dropped, never echoed.
 */
export function approvalRequestOf(event: unknown): ApprovalRequest {
  if (typeof event !== 'object' || event === null) return {};
  const { proposalId, approvedBy } = event as Record<string, unknown>;
  return {
    proposalId: typeof proposalId === 'string' && PROPOSAL_ID.test(proposalId) ? proposalId : undefined,
    approvedBy: typeof approvedBy === 'string' && APPROVER.test(approvedBy) ? approvedBy : undefined,
  };
}

/** How the approval messages name the human. */
export const approverOf = (request: ApprovalRequest): string =>
  request.approvedBy ? `approved by ${request.approvedBy}` : 'approver unknown';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown): boolean => value === undefined || isString(value);
const isListOf = (value: unknown, item: (element: unknown) => boolean): boolean =>
  Array.isArray(value) && value.every(item);
const hasStrings = (value: unknown, keys: readonly string[]): boolean =>
  isObject(value) && keys.every((key) => isString(value[key]));

/** Field checks of a stored {@link JobContext}: what the diagnosis reads must have the right type. */
const JOB_FIELD_CHECKS: Readonly<Record<keyof JobContext, (value: unknown) => boolean>> = {
  jobType: isString,
  jobName: isOptionalString,
  jobArn: isOptionalString,
  partition: isString,
  region: isOptionalString,
  accountId: isOptionalString,
  roleArn: isOptionalString,
  otherRoleArns: (value) => value === undefined || isListOf(value, isString),
  failureReason: isOptionalString,
  origin: (value) => value === 'job-state-change' || value === 'api-call',
  s3Locations: (value) =>
    isListOf(
      value,
      (l) =>
        hasStrings(l, ['channel', 'uri', 'bucket', 'prefix']) &&
        typeof (l as { isObject?: unknown }).isObject === 'boolean',
    ),
  images: (value) => isListOf(value, isString),
  kmsKeys: (value) => isListOf(value, (k) => hasStrings(k, ['use', 'keyId'])),
  subnets: (value) => isListOf(value, isString),
  securityGroups: (value) => isListOf(value, isString),
  fileSystems: (value) => isListOf(value, (f) => hasStrings(f, ['type', 'id'])),
};

const isPolicy = (value: unknown): value is PolicyDocument =>
  isObject(value) &&
  isString(value.Version) &&
  isListOf(
    value.Statement,
    (s) => isObject(s) && isListOf(s.Action, isString) && isListOf(s.Resource, isString),
  );

const isVerification = (value: unknown): value is Verification =>
  isObject(value) &&
  (value.status === 'verified'
    ? isListOf(value.allowed, (pair) => hasStrings(pair, ['action', 'resource']))
    : (value.status === 'unverified' || value.status === 'not-attempted') && isString(value.reason));

/**
 * A stored record read back as a {@link ProposalRecord}, or undefined when it does not have that
 * shape. Shape only: what it says is checked by {@link decideApproval}.
 */
export function proposalRecordOf(value: unknown): ProposalRecord | undefined {
  if (!isObject(value) || !hasStrings(value, ['proposalId', 'roleArn', 'policyName'])) return undefined;
  const { job } = value;
  const jobValid =
    isObject(job) &&
    Object.entries(JOB_FIELD_CHECKS).every(([field, check]) =>
      check((job as Record<string, unknown>)[field]),
    );
  return jobValid && isPolicy(value.policy) && isVerification(value.verification)
    ? (value as unknown as ProposalRecord)
    : undefined;
}

/** Why a click was refused beyond the guard's own rules: stable codes, as the guard's. */
export const APPROVAL_REFUSAL_CODES = {
  invalidRequest: 'invalid-request',
  unknownProposal: 'unknown-proposal',
  alreadyDecided: 'already-decided',
  expired: 'expired',
  recordMalformed: 'record-malformed',
  recordInconsistent: 'record-inconsistent',
  notPermission: 'not-permission',
  noAccountAccess: 'no-account-access',
  tooLarge: 'too-large',
  applyFailed: 'apply-failed',
} as const;
export type ApprovalRefusalCode = (typeof APPROVAL_REFUSAL_CODES)[keyof typeof APPROVAL_REFUSAL_CODES];

/** One reason a click did not attach the policy: a guard rule or an approval rule. */
export interface ApprovalRefusal {
  readonly code: RefusalCode | ApprovalRefusalCode;
  readonly message: string;
}

/** The guard's decision on an approved record. */
export interface ApprovalDecision extends Omit<AutoApplyDecision, 'refusals'> {
  readonly refusals: readonly ApprovalRefusal[];
  /** Re-derived from the stored job and failure text: what the approval message shows. */
  readonly diagnosis: Diagnosis;
}

/**
 * Decides whether a human's approval lets the stored policy be attached. The human waives only what
 * the guard leaves to a human (the `autoRemediate` switch and the no-automation origin rules). Eligible
 * only when the guard, run afresh on the stored job and failure text under the operator's gates,
 * yields exactly the stored policy for exactly the stored role, and the record's id is the one that
 * policy gets.
 */
export function decideApproval(
  record: ProposalRecord,
  config: ApprovalConfig,
  context: { readonly roleTags?: Readonly<Record<string, string>> } = {},
): ApprovalDecision {
  const { job } = record;
  const diagnosis = diagnose(job.failureReason ?? '', job);
  if (diagnosis.kind !== 'permission') {
    return {
      eligible: false,
      refusals: [
        {
          code: APPROVAL_REFUSAL_CODES.notPermission,
          message: 'the stored failure text is not a permission problem: nothing is applied',
        },
      ],
      diagnosis,
    };
  }
  const decision = decideAutoApply(
    diagnosis,
    job,
    { ...config, autoRemediate: false },
    { roleTags: context.roleTags, verification: record.verification, humanApproved: true },
  );
  const refusals: ApprovalRefusal[] = [...decision.refusals];
  if (job.roleArn !== record.roleArn) {
    refusals.push({
      code: REFUSAL_CODES.principalNotExecutionRole,
      message: 'the proposal is not for the job execution role',
    });
  }
  if (JSON.stringify(decision.policy) !== JSON.stringify(record.policy)) {
    refusals.push({
      code: REFUSAL_CODES.storedPolicyDiffers,
      message: 'the stored policy is not what the guard allows for this failure: nothing is applied',
    });
  }
  if (
    record.policyName !== policyNameOf(record.policy) ||
    record.proposalId !== proposalIdOf(job, record.roleArn, record.policy)
  ) {
    refusals.push({
      code: APPROVAL_REFUSAL_CODES.recordInconsistent,
      message: 'the stored record does not match its own policy: nothing is applied',
    });
  }
  return { ...decision, eligible: decision.eligible && refusals.length === 0, refusals, diagnosis };
}

/** What the channel is told about one click. */
export function approvalDetailOf(outcome: {
  readonly state: ApprovalState;
  readonly approver: string;
  readonly policyName: string;
  /** The proposal came from text or parameters someone untrusted chose, and opened with that warning. */
  readonly untrustedOrigin: boolean;
  readonly reasons: readonly ApprovalRefusal[];
  /** The role already had the policy: nothing was written. */
  readonly alreadyAttached?: boolean;
}): string {
  const approved = `Approved in chat (${outcome.approver})${outcome.untrustedOrigin ? ' after the untrusted-origin warning' : ''}`;
  return outcome.state === APPROVAL_STATES.applied
    ? `${approved}: inline policy ${outcome.policyName} ${outcome.alreadyAttached ? 'was already attached' : 'attached'}.`
    : `${approved} but not applied (${outcome.state}): ${refusalText(outcome.reasons)}.`;
}
