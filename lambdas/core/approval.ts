/**
 * One-click approval: a human approves a stored proposal from the chat channel, and the approver
 * re-checks it with the same guard before attaching exactly the stored policy. The human opens the
 * gate for that one role; every finding-level check still applies, and a policy the guard would not
 * produce itself is never attached.
 */
import { createHash } from 'node:crypto';
import type { AutoApplyDecision, GuardConfig } from './guard.js';
import { decideAutoApply, REFUSAL_CODES } from './guard.js';
import { roleNameOf } from './job-context.js';
import type { PolicyDocument } from './propose.js';
import type { JobContext, PermissionDiagnosis, Verification } from './types.js';

/** What the remediator stores for a proposal a human may approve. */
export interface ApprovalRecord {
  readonly proposalId: string;
  readonly roleArn: string;
  readonly policyName: string;
  readonly policy: PolicyDocument;
  readonly diagnosis: PermissionDiagnosis;
  readonly job: JobContext;
  readonly verification: Verification;
}

/** Identifies a proposal by the role and the exact policy: the same fix for another role is another id. */
export const proposalIdOf = (roleArn: string, policy: PolicyDocument): string =>
  createHash('sha256')
    .update(`${roleArn}\n${JSON.stringify(policy)}`)
    .digest('hex')
    .slice(0, 24);

/**
 * The guard's decision for an approved record; eligible only for exactly the stored policy, and only
 * on the resources the operator declared (`resourcePatterns`, else the guard's default).
 */
export function decideApproval(
  record: ApprovalRecord,
  operator: Pick<GuardConfig, 'resourcePatterns'> = {},
): AutoApplyDecision {
  const decision = decideAutoApply(
    record.diagnosis,
    record.job,
    {
      autoRemediate: true,
      allowedAccounts: record.job.accountId ? [record.job.accountId] : [],
      roleNamePatterns: [roleNameOf(record.roleArn) ?? ''],
      resourcePatterns: operator.resourcePatterns,
    },
    { verification: record.verification, humanApproved: true },
  );
  const refusals = [...decision.refusals];
  if (record.job.roleArn !== record.roleArn) {
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
  return { ...decision, eligible: decision.eligible && refusals.length === 0, refusals };
}
