/**
 * The approval path behind the AWS Chatbot custom action: load the stored proposal, let the core
 * re-derive and re-check it under the operator's gates, claim it once, attach exactly that policy in
 * the job's own account, and say what happened on the topic.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { ApprovalConfig, ApprovalRefusal, ApprovalState } from '../core/approval.js';
import {
  APPROVAL_REFUSAL_CODES as CODES,
  APPROVAL_STATES,
  approvalDetailOf,
  approvalRequestOf,
  approverOf,
  decideApproval,
  proposalRecordOf,
} from '../core/approval.js';
import { ApplyError } from '../core/errors.js';
import { refusalText } from '../core/guard.js';
import { roleNameOf } from '../core/job-context.js';
import { approvalNotificationOf } from '../core/notification.js';
import { INLINE_POLICY_LIMIT } from '../core/propose.js';
import { GRANT_DEFAULTS, managedPolicyOffer } from '../core/grants.js';
import { writeGrant } from '../remediator/aws/grants.js';
import { optInTags } from '../remediator/aws/iam.js';
import { loadProposal, moveProposal } from '../remediator/aws/proposals.js';
import { publish } from '../remediator/aws/sns.js';
import type { AccountAccess, AccountRegion } from '../remediator/aws/accounts.js';
import type { RemediationLogger } from '../remediator/remediate.js';

export interface ApproverConfig extends ApprovalConfig {
  readonly proposalsTableName: string;
  readonly topicArn: string;
  /** Days an approved grant stays valid; 0 is no expiry. @default GRANT_DEFAULTS.ttlDays */
  readonly grantTtlDays?: number;
  /** Where the record of each write is kept; none keeps no record. */
  readonly grantsTableName?: string;
}

export interface ApprovalDependencies {
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  /** Clients in the job's own account: this account's, or the member role's in central mode. */
  readonly accountAccess: (job: AccountRegion) => Promise<AccountAccess>;
  readonly config: ApproverConfig;
  readonly logger: RemediationLogger;
  readonly now?: () => Date;
}

export interface ApprovalResult {
  /** What this click did; `already-decided` when an earlier click (or expiry) used the proposal. */
  readonly status: ApprovalState | 'already-decided' | 'unknown';
  readonly proposalId: string | null;
  readonly refusals: readonly ApprovalRefusal[];
  readonly policyName: string | null;
  /** When the proposal reached its current state (ISO), and who approved, as the payload said. */
  readonly decidedAt: string | null;
  readonly approvedBy: string | null;
}

export async function approve(event: unknown, deps: ApprovalDependencies): Promise<ApprovalResult> {
  const request = approvalRequestOf(event);
  const { proposalId } = request;
  const now = deps.now?.() ?? new Date();
  const table = deps.config.proposalsTableName;
  const answer = (
    status: ApprovalResult['status'],
    refusals: readonly ApprovalRefusal[],
    more: Partial<ApprovalResult> = {},
  ): ApprovalResult => {
    const result = {
      status,
      proposalId: proposalId ?? null,
      refusals,
      policyName: null,
      decidedAt: status === 'unknown' ? null : now.toISOString(),
      approvedBy: request.approvedBy ?? null,
      ...more,
    };
    deps.logger.info('approval handled', { ...result });
    return result;
  };
  const because = (code: ApprovalRefusal['code'], message: string): ApprovalRefusal[] => [{ code, message }];
  if (!proposalId) {
    return answer('unknown', because(CODES.invalidRequest, 'no valid proposalId in the request'));
  }
  const stored = await loadProposal(deps.dynamodb, table, proposalId);
  if (!stored) return answer('unknown', because(CODES.unknownProposal, 'unknown or expired proposal'));
  if (stored.state) {
    return answer(
      'already-decided',
      because(
        CODES.alreadyDecided,
        `the proposal was ${stored.state} at ${stored.decidedAt ?? 'an unknown time'}: a proposal is used once`,
      ),
      { decidedAt: stored.decidedAt ?? null, approvedBy: stored.approvedBy ?? null },
    );
  }
  // Each outcome below is a conditional move from open: a concurrent click that moved it first wins.
  const settle = async (to: ApprovalState, reasons: readonly ApprovalRefusal[], from?: ApprovalState) =>
    moveProposal(deps.dynamodb, table, proposalId, {
      from,
      to,
      at: now,
      approvedBy: request.approvedBy,
      reason: refusalText(reasons),
    });
  const lost = () =>
    answer('already-decided', because(CODES.alreadyDecided, 'another click decided this proposal first'));

  if (stored.expiresAt < now.getTime()) {
    const reasons = because(CODES.expired, 'the proposal has expired');
    return (await settle(APPROVAL_STATES.expired, reasons)) ? answer('expired', reasons) : lost();
  }
  const record = proposalRecordOf(stored.record);
  if (!record) {
    const reasons = because(CODES.recordMalformed, 'the stored proposal is malformed');
    return (await settle(APPROVAL_STATES.refused, reasons)) ? answer('refused', reasons) : lost();
  }

  const { config } = deps;
  // Nothing is read or written in an account the operator did not allow; the guard says why.
  const access =
    record.job.accountId && config.allowedAccounts.includes(record.job.accountId)
      ? await deps.accountAccess(record.job)
      : undefined;
  const clients = access && !('unavailable' in access) ? access : undefined;
  const roleTags = clients
    ? await optInTags(clients.iam, record.job.roleArn, config.roleNamePatterns, deps.logger)
    : {};
  const decision = decideApproval(record, config, { roleTags });
  const refusals = [
    ...decision.refusals,
    ...(access && 'unavailable' in access
      ? because(CODES.noAccountAccess, `cannot act in the job's account: ${access.unavailable}`)
      : []),
  ];
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  const report = async (
    state: ApprovalState,
    reasons: readonly ApprovalRefusal[],
    alreadyAttached = false,
    written?: { readonly policyName: string; readonly recordId: string },
  ) => {
    const detail = approvalDetailOf({
      state,
      approver: approverOf(request),
      policyName: written?.policyName ?? record.policyName,
      untrustedOrigin: decision.diagnosis.untrustedText || record.job.origin === 'api-call',
      reasons,
      alreadyAttached,
    });
    await publish(
      deps.sns,
      config.topicArn,
      approvalNotificationOf(
        { ...record, diagnosis: decision.diagnosis },
        { applied: state === APPROVAL_STATES.applied, detail, written },
      ),
    );
    return answer(state, reasons, { policyName: written?.policyName ?? record.policyName });
  };

  if (!clients || !decision.eligible || refusals.length > 0) {
    return (await settle(APPROVAL_STATES.refused, refusals))
      ? report(APPROVAL_STATES.refused, refusals)
      : lost();
  }
  if (!(await settle(APPROVAL_STATES.applying, []))) return lost();
  const applying = APPROVAL_STATES.applying;
  try {
    // Exactly the stored policy: the guard has just derived the same one itself.
    const applied = await writeGrant(
      { iam: clients.iam, dynamodb: deps.dynamodb, grantsTableName: config.grantsTableName },
      {
        roleName,
        policy: record.policy,
        job: record.job,
        diagnosis: decision.diagnosis,
        approvedBy: { kind: 'approval', proposalId, approver: approverOf(request) },
        ttlDays: config.grantTtlDays ?? GRANT_DEFAULTS.ttlDays,
        now,
      },
    );
    if (applied.status === 'too-large') {
      const reasons = because(
        CODES.tooLarge,
        `the role's inline policies would total ${applied.aggregateSize} characters (limit ${INLINE_POLICY_LIMIT}). ${managedPolicyOffer(roleName, record.policy)}`,
      );
      await settle(APPROVAL_STATES.refused, reasons, applying);
      return await report(APPROVAL_STATES.refused, reasons);
    }
    await settle(APPROVAL_STATES.applied, [], applying);
    return await report(APPROVAL_STATES.applied, [], applied.status === 'renewed', applied);
  } catch (error) {
    if (!(error instanceof ApplyError)) throw error;
    const reasons = because(CODES.applyFailed, error.message);
    await settle(APPROVAL_STATES.failed, reasons, applying);
    return report(APPROVAL_STATES.failed, reasons);
  }
}
