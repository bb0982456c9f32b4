/**
 * The approval path behind the AWS Chatbot custom action: load the stored proposal, re-check it with
 * the guard, attach exactly the stored policy, and say what happened on the topic.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import { decideApproval } from '../core/approval.js';
import { roleNameOf } from '../core/job-context.js';
import { approvalNotificationOf } from '../core/notification.js';
import { ApplyError } from '../core/errors.js';
import { applyPolicy } from '../remediator/aws/iam.js';
import { loadProposal } from '../remediator/aws/proposals.js';
import { publish } from '../remediator/aws/sns.js';
import type { RemediationLogger } from '../remediator/remediate.js';

export interface ApprovalDependencies {
  readonly iam: IAMClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
  readonly config: {
    readonly proposalsTableName: string;
    readonly topicArn: string;
    /** As the remediator's `resourcePatterns`; unset: the guard's default. */
    readonly resourcePatterns?: readonly string[];
  };
  readonly logger: RemediationLogger;
}

export interface ApprovalResult {
  readonly status: 'applied' | 'already-applied' | 'refused' | 'too-large' | 'failed';
  readonly proposalId: string | null;
  readonly refusals: readonly string[];
  readonly policyName: string | null;
}

const PROPOSAL_ID = /^[0-9a-f]{24}$/;

/** The proposal id the button sends; anything else is refused without a lookup. */
const proposalIdOf = (event: unknown): string | undefined => {
  const id =
    typeof event === 'object' && event !== null ? (event as { proposalId?: unknown }).proposalId : undefined;
  return typeof id === 'string' && PROPOSAL_ID.test(id) ? id : undefined;
};

export async function approve(event: unknown, deps: ApprovalDependencies): Promise<ApprovalResult> {
  const proposalId = proposalIdOf(event);
  if (!proposalId)
    return {
      status: 'refused',
      proposalId: null,
      refusals: ['no valid proposalId in the request'],
      policyName: null,
    };
  const record = await loadProposal(deps.dynamodb, deps.config.proposalsTableName, proposalId);
  if (!record)
    return { status: 'refused', proposalId, refusals: ['unknown or expired proposal'], policyName: null };

  const decision = decideApproval(record, deps.config);
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  let result: ApprovalResult;
  if (!decision.eligible) {
    result = {
      status: 'refused',
      proposalId,
      refusals: decision.refusals.map((r) => `${r.message} [${r.code}]`),
      policyName: record.policyName,
    };
  } else {
    try {
      // Exactly the stored policy: the guard has just confirmed it is what it allows.
      const applied = await applyPolicy(deps.iam, roleName, record.policyName, record.policy);
      result = { status: applied.status, proposalId, refusals: [], policyName: record.policyName };
    } catch (error) {
      if (!(error instanceof ApplyError)) throw error;
      result = { status: 'failed', proposalId, refusals: [error.message], policyName: record.policyName };
    }
  }
  deps.logger.info('approval handled', { ...result });
  const applied = result.status === 'applied' || result.status === 'already-applied';
  const detail = applied
    ? `Approved in chat: inline policy ${record.policyName} ${result.status === 'applied' ? 'attached' : 'was already attached'}.`
    : `Approved in chat but not applied (${result.status}): ${result.refusals.join('; ')}.`;
  await publish(deps.sns, deps.config.topicArn, approvalNotificationOf(record, { applied, detail }));
  return result;
}
