/**
 * One failed job, end to end: describe (only if the event lacks fields), diagnose, verify against the
 * role's live policies, let the guard decide about auto-remediation, publish. Clients are injected so
 * the same code runs against AWS, a local AWS-protocol server, or stubs. Only publishing is loaded
 * with this module: each other adapter is imported by the path that needs it (a chunk of its own in
 * the bundle), so a cold start loads what every event needs and no more.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AutoApplyDecision, Refusal } from '../core/guard.js';
import { proposalIdOf } from '../core/approval.js';
import { decideAutoApply, refusalText } from '../core/guard.js';
import type {
  FixLocation,
  JobContext,
  JobType,
  Outcome,
  PermissionDiagnosis,
  Verification,
} from '../core/index.js';
import { diagnose, failedJobFromInput, propose } from '../core/index.js';
import type { SnsNotification } from '../core/notification.js';
import { notificationOf } from '../core/notification.js';
import { markedAsTest } from '../core/selftest.js';
import type { WrittenGrant } from '../core/render.js';
import { consoleUrlOf } from '../core/render.js';
import { expiresAtOf, managedPolicyOffer } from '../core/grants.js';
import { INLINE_POLICY_LIMIT } from '../core/propose.js';
import { ApplyError } from '../core/errors.js';
import type { GrantTarget } from './aws/grants.js';
import type { Incidents } from './aws/incident-recorder.js';
import { publish } from './aws/sns.js';
import type { AccountAccess, AccountRegion } from './aws/accounts.js';
import type { RemediatorConfig } from './config.js';
import type { Lazy } from './lazy.js';

/** IAM reads (verification, opt-in tags): loaded by the first permission failure. */
const iamAdapters = () => import('./aws/iam.js');

/** The slice of a Powertools Logger this module uses. */
export type RemediationLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface Dependencies {
  readonly sns: SNSClient;
  /** For idempotency and approvable proposals, made on first use; approvals are off without it. */
  readonly dynamodb?: Lazy<DynamoDBClient>;
  /**
   * Clients that act in the failed job's account and region, or why there are none: the home clients
   * for this account's jobs, a member role in central mode. Required: no job is read or changed
   * through clients of another account.
   */
  readonly accountAccess: (job: AccountRegion) => Promise<AccountAccess>;
  readonly config: RemediatorConfig;
  readonly logger: RemediationLogger;
  /** Groups failures of one cause into one incident; without it, every failure is published. */
  readonly incidents?: Incidents;
  /** The clock, for grant expiry (tests set it). */
  readonly now?: () => Date;
}

/**
 * What an invocation returns. Plain JSON with `null` for absent values: the idempotency store keeps it
 * in DynamoDB, and a duplicate event gets it back unchanged.
 */
export type RemediationResult =
  | {
      readonly status: 'not-permission';
      readonly jobName: string | null;
      readonly messageId: string | null;
      /** What the job was and what kind of failure it had: the breakdowns metrics count. */
      readonly jobType: JobType;
      readonly category: string;
    }
  /** A later failure of an open incident: recorded for its digest, not published. */
  | {
      readonly status: 'grouped';
      readonly jobName: string | null;
      readonly incidentId: string;
      readonly jobType: JobType;
      readonly category: 'permission';
      readonly fixLocation: FixLocation;
    }
  | {
      readonly status: 'proposed' | 'applied';
      readonly jobName: string | null;
      readonly messageId: string;
      readonly jobType: JobType;
      readonly category: 'permission';
      readonly fixLocation: FixLocation;
      readonly verification: Verification['status'];
      readonly autoApply: {
        readonly eligible: boolean;
        readonly outcome: string | null;
        readonly refusals: readonly Refusal[];
        /** The policy written (the service's one per role), else the one proposed. */
        readonly policyName: string | null;
        /** The record of the write, which its Sids and the Undo button name. */
        readonly recordId: string | null;
      };
    };

/**
 * An event detail carries the whole Describe*Job output; describe only when it does not. A denied
 * Create*Job call made no job: there is nothing to describe.
 */
const needsDescribe = (job: JobContext): boolean =>
  job.origin === 'job-state-change' &&
  (!job.failureReason || (job.jobType !== 'transform' && (!job.roleArn || job.images.length === 0)));

/** Attaches the guard's policy, or says why not; never throws for an IAM failure. */
async function autoRemediate(
  decision: AutoApplyDecision,
  job: JobContext,
  diagnosis: PermissionDiagnosis,
  iam: IAMClient,
  deps: Dependencies,
): Promise<{
  applied: boolean;
  outcome: string;
  text: string;
  /** Where it was written, the record its statements point to, and their expiry. */
  written?: WrittenGrant;
}> {
  const refused = decision.refusals.length > 0 ? `\nNot applied: ${refusalText(decision.refusals)}.` : '';
  if (!decision.eligible || !decision.policy || !decision.policyName || !decision.roleName) {
    return { applied: false, outcome: 'refused', text: `Auto-remediation refused.${refused}` };
  }
  const policyJson = JSON.stringify(decision.policy);
  const target = { roleName: decision.roleName, policyName: decision.policyName };
  if (deps.config.dryRun) {
    deps.logger.info('dry run: would attach policy', { ...target, policy: decision.policy });
    return {
      applied: false,
      outcome: 'dry-run',
      text: `Dry run: would attach ${decision.policyName} to ${decision.roleName}: ${policyJson}${refused}`,
    };
  }
  try {
    // The write and its record: loaded by the first fix the guard lets through.
    const { writeGrant } = await import('./aws/grants.js');
    const grantTarget: GrantTarget = {
      iam,
      dynamodb: await deps.dynamodb?.(),
      grantsTableName: deps.config.grantsTableName,
    };
    const result = await writeGrant(grantTarget, {
      roleName: decision.roleName,
      policy: decision.policy,
      job,
      diagnosis,
      approvedBy: { kind: 'guard', refusals: decision.refusals.map((r) => r.code) },
      ttlDays: deps.config.grantTtlDays,
      now: deps.now?.() ?? new Date(),
    });
    if (result.status === 'too-large') {
      return {
        applied: false,
        outcome: 'too-large',
        text: `Not applied: the role's inline policies would total ${result.aggregateSize} characters (limit ${INLINE_POLICY_LIMIT}). ${managedPolicyOffer(decision.roleName, decision.policy)}${refused}`,
      };
    }
    const written: WrittenGrant = {
      roleName: decision.roleName,
      policyName: result.policyName,
      recordId: result.recordId,
      expiresAt: result.expiresAt,
      renewed: result.status === 'renewed',
    };
    deps.logger.info('auto-remediation applied', { ...written });
    return {
      applied: true,
      outcome: result.status,
      written,
      // Where, the record, the expiry and the undo are the message's own lines (writtenLines).
      text:
        [policyJson, `Rerun the job: ${consoleUrlOf(job) ?? 'from the SageMaker console'}`].join('\n') +
        refused,
    };
  } catch (error) {
    if (!(error instanceof ApplyError)) throw error;
    deps.logger.error('auto-remediation failed', { error: error.message });
    return {
      applied: false,
      outcome: 'failed',
      text: `Auto-remediation failed and changed nothing: ${error.message}`,
    };
  }
}

/**
 * Keeps a proposal for one-click approval from chat when approvals are on and there is a policy for
 * the job's own execution role. Returns its id for the notification.
 */
async function storeForApproval(
  outcome: Extract<Outcome, { kind: 'permission' }>,
  job: JobContext,
  verification: Verification,
  deps: Dependencies,
): Promise<string | undefined> {
  const { policy, policyName, roleArn } = outcome.proposal;
  const table = deps.config.proposalsTableName;
  if (!table || !deps.dynamodb || !policy || !policyName || !roleArn || roleArn !== job.roleArn)
    return undefined;
  const proposalId = proposalIdOf(job, roleArn, policy);
  const { storeProposal } = await import('./aws/proposals.js');
  await storeProposal(await deps.dynamodb(), table, {
    proposalId,
    roleArn,
    policyName,
    policy,
    job,
    verification,
  });
  return proposalId;
}

/** Publishes to the topic; a self-test's message is marked as one in every rendering. */
const publishAs = (deps: Dependencies, notification: SnsNotification): Promise<string> =>
  publish(deps.sns, deps.config.topicArn, deps.config.selftest ? markedAsTest(notification) : notification);

export async function remediate(event: unknown, deps: Dependencies): Promise<RemediationResult> {
  const reported = failedJobFromInput(event);
  const access = await deps.accountAccess(reported);
  // Without access to the job's account nothing is read or changed there: the proposal goes out unverified.
  const unavailable = 'unavailable' in access ? access.unavailable : undefined;
  const local = 'unavailable' in access ? undefined : access;
  if (unavailable) deps.logger.warn('no access to the job account', { reason: unavailable });
  const job =
    local && needsDescribe(reported)
      ? await (await import('./aws/sagemaker.js')).describeJob(local.sagemaker, reported)
      : reported;
  const diagnosis = diagnose(job.failureReason ?? '', job);
  if (diagnosis.kind === 'not-permission') {
    deps.logger.info('not a permission problem', { category: diagnosis.category, ruleId: diagnosis.ruleId });
    const counted = { jobType: job.jobType, category: diagnosis.category };
    if (!deps.config.notifyNonPermission)
      return { status: 'not-permission', jobName: job.jobName ?? null, messageId: null, ...counted };
    const messageId = await publishAs(deps, notificationOf({ kind: 'not-permission', diagnosis, job }));
    return { status: 'not-permission', jobName: job.jobName ?? null, messageId, ...counted };
  }

  const unverified = propose(diagnosis);
  const incident = await deps.incidents?.record(job, { kind: 'permission', diagnosis, proposal: unverified });
  if (incident?.role === 'later')
    return {
      status: 'grouped',
      jobName: job.jobName ?? null,
      incidentId: incident.incidentId,
      jobType: job.jobType,
      category: 'permission',
      fixLocation: unverified.fixLocation,
    };
  const verification: Verification = !local
    ? { status: 'unverified', reason: unavailable ?? 'no access to the job account' }
    : unverified.policy && job.roleArn
      ? await (await iamAdapters()).verifyPolicy(local.iam, job.roleArn, unverified.policy)
      : {
          status: 'not-attempted',
          reason: job.roleArn ? 'nothing to verify' : 'the job names no execution role',
        };
  if (verification.status === 'unverified')
    deps.logger.warn('proposal not verified', { reason: verification.reason });
  const expiresAt = expiresAtOf(deps.now?.() ?? new Date(), deps.config.grantTtlDays);
  const proposal = propose(diagnosis, verification, { expiresAt });
  const outcome: Outcome = { kind: 'permission', diagnosis, proposal, job };

  // No human is involved here: container-written text and CloudTrail-recorded calls are refused by the guard.
  const decision = decideAutoApply(diagnosis, job, deps.config, {
    roleTags:
      local && deps.config.autoRemediate
        ? await (
            await iamAdapters()
          ).optInTags(local.iam, job.roleArn, deps.config.roleNamePatterns, deps.logger)
        : {},
    verification,
  });
  const remediation = !deps.config.autoRemediate
    ? undefined
    : local
      ? await autoRemediate(decision, job, diagnosis, local.iam, deps)
      : {
          applied: false,
          outcome: 'refused',
          text: `Auto-remediation refused: ${unavailable ?? ''}.`,
        };
  const proposalId = remediation?.applied
    ? undefined
    : await storeForApproval(outcome, job, verification, deps);
  const notification = notificationOf(outcome, {
    applied: remediation?.applied,
    extraText: remediation?.text,
    proposalId,
    written: remediation?.written,
  });
  // A publish failure throws: the invocation fails, Lambda retries, and the event ends in the DLQ.
  const messageId = await publishAs(deps, notification);
  deps.logger.info('proposal published', {
    messageId,
    fixLocation: outcome.proposal.fixLocation,
    autoApply: remediation?.outcome,
  });
  return {
    status: remediation?.applied ? 'applied' : 'proposed',
    jobName: job.jobName ?? null,
    messageId,
    jobType: job.jobType,
    category: 'permission',
    fixLocation: outcome.proposal.fixLocation,
    verification: verification.status,
    autoApply: {
      eligible: decision.eligible,
      outcome: remediation?.outcome ?? null,
      refusals: decision.refusals,
      policyName: remediation?.written?.policyName ?? decision.policyName ?? null,
      recordId: remediation?.written?.recordId ?? null,
    },
  };
}
