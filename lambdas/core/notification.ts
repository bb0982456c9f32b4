/**
 * The SNS message of an outcome, as data: subject, a `MessageStructure: json` body and the message
 * attributes that subscription filter policies select on. Publishing it is the adapter's job.
 */
import type { ApprovalRecord } from './approval.js';
import { roleNameOf } from './job-context.js';
import { certaintyOfAll } from './certainty.js';
import { shellQuote } from './propose.js';
import { plainLine } from './neutralise.js';
import type { ChatbotContext, Line, Message, Outcome, RenderOptions } from './render.js';
import {
  chatbotContextOf,
  chatbotOfMessage,
  clipTitle,
  consoleFieldsOf,
  jobFactsOf,
  jobLineOf,
  messageOf,
  originOf,
  originWarningOf,
  renderJson,
  textOfMessage,
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
} as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[keyof typeof NOTIFICATION_CATEGORIES];

export type Severity = 'high' | 'medium' | 'low' | 'info';

/**
 * Only `assemble` below can make a notification: the brand cannot be named outside this module, so
 * every message published is rendered from a `Message` by the channels' neutralising renderers.
 */
declare const rendered: unique symbol;

export interface SnsNotification {
  readonly [rendered]: true;
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
  const { job } = record;
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  const rollBack = `aws iam delete-role-policy --role-name ${shellQuote(roleName)} --policy-name ${record.policyName}`;
  const approved: Line = [
    `: the approved fix ${result.applied ? 'was attached to' : 'was NOT attached to'} role `,
    { code: roleName },
    '.',
  ];
  const message: Message = {
    ...originWarningOf(originOf(record.diagnosis, job)),
    applied: result.applied,
    verdict: [...jobLineOf(job, record.diagnosis), ...approved],
    subject: [jobNameOf(job, record.diagnosis), ...approved],
    nextStep: result.applied
      ? ['Rerun the job. Roll back: ', { code: rollBack }]
      : ['Not applied: ', { code: result.detail }],
    ...consoleFieldsOf(job),
    evidence: [
      { kind: 'lines', lines: [[result.detail]] },
      ...(result.applied
        ? [
            {
              kind: 'code' as const,
              caption: ['Policy ', { code: record.policyName }, ':'],
              code: JSON.stringify(record.policy, null, 2),
            },
          ]
        : []),
    ],
    keywords: ['approval', result.applied ? 'applied' : 'refused', job.jobType],
  };
  return assemble(
    message,
    {
      eventType: 'SageMakerPermissionApproval',
      threadId: job.jobName ?? 'sagemaker-iam-remediator',
      relatedResources: [record.roleArn, ...(job.jobArn ? [job.jobArn] : [])],
      additionalContext: { ...jobFactsOf(job, record.diagnosis), proposalId: record.proposalId },
    },
    { record, ...result },
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
 * The one way a notification is made: the message is rendered by each channel's renderer, which
 * neutralises every string in it (plain text for `default` and `email`, the AWS Chatbot notification
 * for `https`, the mail subject); `sqs` carries the same renderings beside `data`, the facts as
 * verbatim JSON for programs. Attributes, for subscription filter policies, are one plain line each.
 */
export function assemble(
  message: Message,
  chatbotContext: ChatbotContext,
  data: Readonly<Record<string, unknown>>,
  attributes: Omit<SnsNotification['attributes'], 'jobName' | 'accountId'> & {
    jobName?: string;
    accountId?: string;
  },
): SnsNotification {
  const text = textOfMessage(message);
  const chatbot = chatbotOfMessage(message, chatbotContext);
  const notification = {
    subject: mailSubjectOf(subjectOfMessage(message)),
    message: JSON.stringify({
      default: text,
      email: text,
      https: JSON.stringify(chatbot),
      sqs: JSON.stringify({ ...data, text, chatbot }),
    }),
    attributes: {
      category: plainLine(attributes.category),
      fixLocation: plainLine(attributes.fixLocation),
      severity: plainLine(attributes.severity),
      jobName: plainLine(attributes.jobName ?? 'unknown'),
      accountId: plainLine(attributes.accountId ?? 'unknown'),
    },
  };
  return notification as SnsNotification;
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const mailSubjectOf = (title: string): string => {
  return clipTitle(title.replace(/[^\x20-\x7e]/g, '?'), 100, '...');
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

/** What subscribers filter an outcome's notification on. */
export function attributesOf(outcome: Outcome, applied = false): SnsNotification['attributes'] {
  const { category, severity } = classify(outcome, applied);
  const { diagnosis } = outcome;
  return {
    jobName: diagnosis.jobName ?? 'unknown',
    category,
    fixLocation: outcome.kind === 'permission' ? outcome.proposal.fixLocation : 'none',
    accountId: diagnosis.accountId ?? 'unknown',
    severity,
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
  const attributes = attributesOf(outcome, options.applied);
  const rendering: RenderOptions = {
    applied: options.applied,
    remediationText: options.extraText,
    predicted: options.predicted,
  };
  const context = chatbotContextOf(outcome);
  return assemble(
    messageOf(outcome, rendering),
    // Chat approval: the custom action button reads the proposal id from `additionalContext`, and
    // Chatbot shows custom actions only on notifications that enable them.
    options.proposalId
      ? {
          ...context,
          additionalContext: { ...context.additionalContext, proposalId: options.proposalId },
          enableCustomActions: true,
        }
      : context,
    { outcome: renderJson(outcome), category: attributes.category },
    attributes,
  );
}
