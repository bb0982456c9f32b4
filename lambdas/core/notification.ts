/**
 * The SNS message of an outcome, as data: subject, a `MessageStructure: json` body and the message
 * attributes that subscription filter policies select on. Publishing it is the adapter's job.
 */
import type { ApprovalRecord } from './approval.js';
import { roleNameOf } from './job-context.js';
import type { Outcome } from './render.js';
import { renderChatbot, renderJson, renderText } from './render.js';

/** What a subscriber can filter on. */
export const NOTIFICATION_CATEGORIES = {
  proposal: 'permission-proposal',
  blocked: 'blocked-elsewhere',
  applied: 'auto-remediation-applied',
  notPermission: 'not-permission',
} as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[keyof typeof NOTIFICATION_CATEGORIES];

export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface SnsNotification {
  readonly subject: string;
  /** JSON for `MessageStructure: json`: `default`/`email` text, `https` AWS Chatbot, `sqs` JSON. */
  readonly message: string;
  readonly attributes: Readonly<
    Record<'jobName' | 'category' | 'fixLocation' | 'accountId' | 'severity', string>
  >;
}

/** The outcome of a human approval from chat, for the same topic and its subscribers. */
export function approvalNotificationOf(
  record: ApprovalRecord,
  result: { readonly applied: boolean; readonly detail: string },
): SnsNotification {
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  const title = `${record.job.jobName ?? 'SageMaker job'}: approved fix ${result.applied ? 'applied to' : 'NOT applied to'} ${roleName}`;
  const text = [
    title,
    '',
    result.detail,
    ...(result.applied
      ? [
          '',
          JSON.stringify(record.policy),
          '',
          `Roll back: aws iam delete-role-policy --role-name '${roleName}' --policy-name ${record.policyName}`,
        ]
      : []),
  ].join('\n');
  const chatbot = {
    version: '1.0',
    source: 'custom',
    content: { textType: 'client-markdown', title, description: result.detail },
    metadata: {
      threadId: record.job.jobName ?? 'sagemaker-iam-remediator',
      eventType: 'SageMakerPermissionApproval',
    },
  };
  return assemble(
    title,
    text,
    chatbot,
    { record, ...result, text },
    {
      jobName: record.job.jobName,
      category: result.applied ? NOTIFICATION_CATEGORIES.applied : NOTIFICATION_CATEGORIES.blocked,
      fixLocation: 'identity-policy',
      accountId: record.job.accountId,
      severity: result.applied ? 'medium' : 'high',
    },
  );
}

/**
 * One SNS message for `MessageStructure: json`: plain text for `default` and `email`, the AWS Chatbot
 * notification for `https`, the machine-readable form for `sqs`; attributes for filter policies.
 */
function assemble(
  title: string,
  text: string,
  chatbot: unknown,
  machineReadable: unknown,
  attributes: Omit<SnsNotification['attributes'], 'jobName' | 'accountId'> & {
    jobName?: string;
    accountId?: string;
  },
): SnsNotification {
  return {
    subject: subjectOf(title),
    message: JSON.stringify({
      default: text,
      email: text,
      https: JSON.stringify(chatbot),
      sqs: JSON.stringify(machineReadable),
    }),
    attributes: {
      ...attributes,
      jobName: attributes.jobName ?? 'unknown',
      accountId: attributes.accountId ?? 'unknown',
    },
  };
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const subjectOf = (title: string): string => {
  const ascii = title.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
};

function classify(
  outcome: Outcome,
  applied: boolean,
): { category: NotificationCategory; severity: Severity } {
  if (outcome.kind === 'not-permission')
    return { category: NOTIFICATION_CATEGORIES.notPermission, severity: 'info' };
  if (applied) return { category: NOTIFICATION_CATEGORIES.applied, severity: 'medium' };
  const { proposal } = outcome;
  if (!proposal.policy) return { category: NOTIFICATION_CATEGORIES.blocked, severity: 'high' };
  return {
    category: NOTIFICATION_CATEGORIES.proposal,
    severity: proposal.certainty === 'certain' ? 'medium' : 'low',
  };
}

/**
 * Builds the notification. `extraText` is appended to the text renderings (e.g. what auto-remediation
 * applied and how to roll it back).
 */
export function notificationOf(
  outcome: Outcome,
  options: { applied?: boolean; extraText?: string; proposalId?: string } = {},
): SnsNotification {
  const { category, severity } = classify(outcome, options.applied ?? false);
  const text = options.extraText ? `${renderText(outcome)}\n\n${options.extraText}` : renderText(outcome);
  const rendered = renderChatbot(outcome, options.proposalId);
  // Chatbot shows custom action buttons only on notifications that enable them.
  const chatbot = options.proposalId
    ? { ...rendered, metadata: { ...rendered.metadata, enableCustomActions: true } }
    : rendered;
  const { diagnosis } = outcome;
  const title =
    outcome.kind === 'permission'
      ? `${options.applied ? '[applied] ' : ''}${outcome.proposal.title}`
      : `${diagnosis.jobName ?? 'SageMaker job'}: not a permission problem`;
  return assemble(
    title,
    text,
    chatbot,
    { outcome: renderJson(outcome), text, chatbot, category },
    {
      jobName: diagnosis.jobName,
      category,
      fixLocation: outcome.kind === 'permission' ? outcome.proposal.fixLocation : 'none',
      accountId: diagnosis.accountId,
      severity,
    },
  );
}
