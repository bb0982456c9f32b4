/**
 * The SNS message of an outcome, as data: subject, a `MessageStructure: json` body and the message
 * attributes that subscription filter policies select on. Publishing it is the adapter's job.
 */
import type { ApprovalRecord } from './approval.js';
import { roleNameOf } from './job-context.js';
import { certaintyOfAll } from './certainty.js';
import { shellQuote } from './propose.js';
import { plainBlock, slackCodeBlock } from './neutralise.js';
import type { ChatbotNotification, Line, Message, Outcome } from './render.js';
import {
  chatbotOfMessage,
  consoleFieldsOf,
  jobFactsOf,
  jobLineOf,
  originWarningOf,
  renderChatbot,
  renderJson,
  renderText,
  textOfMessage,
  subjectOf,
  subjectOfMessage,
  jobNameOf,
} from './render.js';

/** What a subscriber can filter on. */
export const NOTIFICATION_CATEGORIES = {
  proposal: 'permission-proposal',
  blocked: 'blocked-elsewhere',
  applied: 'auto-remediation-applied',
  notPermission: 'not-permission',
  /** A chat approval the guard refused: not a block held in another policy. */
  approvalRefused: 'approval-refused',
  /** The scheduled cleanup's digest: expired grants removed, unused ones proposed for removal. */
  grantsCleanup: 'grants-cleanup',
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
  result: {
    readonly applied: boolean;
    readonly detail: string;
    /** Where the approved statements were merged, and the record they point to. */
    readonly written?: { readonly policyName: string; readonly recordId: string };
  },
): SnsNotification {
  const { job } = record;
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  const policyName = result.written?.policyName ?? record.policyName;
  const rollBack = `aws iam delete-role-policy --role-name ${shellQuote(roleName)} --policy-name ${policyName}`;
  const approved: Line = [
    `: the approved fix ${result.applied ? 'was attached to' : 'was NOT attached to'} role `,
    { code: roleName },
    '.',
  ];
  const message: Message = {
    ...originWarningOf(record.diagnosis, job),
    applied: result.applied,
    verdict: [...jobLineOf(job, record.diagnosis), ...approved],
    subject: [jobNameOf(job, record.diagnosis), ...approved],
    nextStep: result.applied
      ? [
          `Rerun the job. Undo only this fix with the Undo button (record ${result.written?.recordId ?? 'unknown'}), or remove all of the service's grants on the role: `,
          { code: rollBack },
        ]
      : ['Not applied: ', { code: result.detail }],
    ...consoleFieldsOf(job),
    evidence: [
      { kind: 'lines', lines: [[result.detail]] },
      ...(result.applied
        ? [
            {
              kind: 'code' as const,
              caption: ['Added to policy ', { code: policyName }, ':'],
              code: JSON.stringify(record.policy, null, 2),
            },
          ]
        : []),
    ],
    keywords: ['approval', result.applied ? 'applied' : 'refused', job.jobType],
  };
  const text = textOfMessage(message);
  const chatbot = chatbotOfMessage(message, {
    eventType: 'SageMakerPermissionApproval',
    threadId: job.jobName ?? 'sagemaker-iam-remediator',
    relatedResources: [record.roleArn, ...(job.jobArn ? [job.jobArn] : [])],
    additionalContext: {
      ...jobFactsOf(job, record.diagnosis),
      proposalId: record.proposalId,
      ...(result.applied && result.written ? { undoId: result.written.recordId } : {}),
    },
  });
  return assemble(
    subjectOfMessage(message),
    text,
    chatbot,
    { record, ...result, text },
    {
      jobName: job.jobName,
      category: result.applied ? NOTIFICATION_CATEGORIES.applied : NOTIFICATION_CATEGORIES.approvalRefused,
      fixLocation: 'identity-policy',
      accountId: job.accountId,
      severity: result.applied ? 'medium' : 'high',
    },
  );
}

/**
 * One SNS message for `MessageStructure: json`: plain text for `default` and `email`, the AWS Chatbot
 * notification for `https`, the machine-readable form for `sqs`; attributes for filter policies.
 */
export function assemble(
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
    subject: mailSubjectOf(title),
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
const mailSubjectOf = (title: string): string => {
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
    severity: certaintyOfAll(proposal.findings) === 'possible' ? 'low' : 'medium',
  };
}

/**
 * Chat approval: the custom action button reads the proposal id from `additionalContext`, and Chatbot
 * shows custom actions only on notifications that enable them.
 */
function withApproval(chatbot: ChatbotNotification, proposalId: string | undefined): ChatbotNotification {
  if (!proposalId) return chatbot;
  const metadata = chatbot.metadata ?? {};
  return {
    ...chatbot,
    metadata: {
      ...metadata,
      enableCustomActions: true,
      additionalContext: { ...metadata.additionalContext, proposalId },
    },
  };
}

/**
 * Builds the notification. `extraText` (what auto-remediation applied and how to roll it back, or why
 * it did not) joins the evidence of every rendering; `proposalId` makes the proposal approvable in chat.
 */
export function notificationOf(
  outcome: Outcome,
  options: { applied?: boolean; extraText?: string; proposalId?: string; predicted?: boolean } = {},
): SnsNotification {
  const { category, severity } = classify(outcome, options.applied ?? false);
  const rendering = {
    applied: options.applied,
    remediationText: options.extraText,
    predicted: options.predicted,
  };
  const text = renderText(outcome, rendering);
  const chatbot = withApproval(renderChatbot(outcome, rendering), options.proposalId);
  const { diagnosis } = outcome;
  return assemble(
    subjectOf(outcome, rendering),
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

/**
 * The one digest of a scheduled grant cleanup. Sids read back from IAM may have been edited by hand:
 * the text goes through the same neutralising as every other message.
 */
export function grantsCleanupNotificationOf(digest: string, accountId?: string): SnsNotification {
  const title = 'sagemaker-iam-remediator: grant cleanup';
  const text = plainBlock(digest);
  const chatbot = {
    version: '1.0',
    source: 'custom',
    content: { textType: 'client-markdown', title, description: slackCodeBlock(digest) },
    metadata: { threadId: 'sagemaker-iam-remediator-grants', summary: title, eventType: 'GrantCleanup' },
  };
  return assemble(
    title,
    text,
    chatbot,
    { digest: text },
    {
      category: NOTIFICATION_CATEGORIES.grantsCleanup,
      fixLocation: 'identity-policy',
      accountId,
      severity: 'info',
    },
  );
}
