/**
 * The SNS message of an outcome, as data: subject, a `MessageStructure: json` body and the message
 * attributes that subscription filter policies select on. Publishing it is the adapter's job.
 */
import type { ApprovalRecord } from './approval.js';
import type { CleanedPolicy, CleanupReport, FailedCleanup } from './grants.js';
import { roleNameOf } from './job-context.js';
import { certaintyOfAll } from './certainty.js';
import { shellQuote } from './propose.js';
import { plainLine } from './neutralise.js';
import type { ChatbotContext, Line, Message, Outcome, RenderOptions, WrittenGrant } from './render.js';
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
  writtenLines,
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
  /** An applied fix taken back with the Undo button, or an undo refused. */
  undo: 'grant-undo',
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
  result: {
    readonly applied: boolean;
    readonly detail: string;
    /** Where the approved statements were merged, the record they point to, and their expiry. */
    readonly written?: Omit<WrittenGrant, 'roleName'>;
  },
): SnsNotification {
  const { job } = record;
  const roleName = roleNameOf(record.roleArn) ?? record.roleArn;
  const policyName = result.written?.policyName ?? record.policyName;
  const rollBack = `aws iam delete-role-policy --role-name ${shellQuote(roleName)} --policy-name ${policyName}`;
  const undoId = result.applied ? result.written?.recordId : undefined;
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
    nextStep: !result.applied
      ? ['Not applied: ', { code: result.detail }]
      : ['Rerun the job. Roll back: ', { code: rollBack }],
    ...consoleFieldsOf(job),
    evidence: [
      { kind: 'lines', lines: [[result.detail]] },
      // Where it went, its record, expiry and undo: the same lines as an auto-applied fix's.
      ...(result.applied && result.written
        ? [{ kind: 'lines' as const, lines: writtenLines({ ...result.written, roleName }) }]
        : []),
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
  return assemble(
    message,
    // The Undo button; the approver trusts nothing of the click but the record id.
    withActions(
      {
        eventType: 'SageMakerPermissionApproval',
        threadId: job.jobName ?? 'sagemaker-iam-remediator',
        relatedResources: [record.roleArn, ...(job.jobArn ? [job.jobArn] : [])],
        // Not `proposalId`: that key shows the Apply button, and this proposal was answered.
        additionalContext: { ...jobFactsOf(job, record.diagnosis), approvedProposalId: record.proposalId },
      },
      undoId ? { undoId } : {},
    ),
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
 * Chat buttons: each custom action reads its value (`proposalId`, `undoId`) from `additionalContext`,
 * and Chatbot shows custom actions only on notifications that enable them.
 */
const withActions = (context: ChatbotContext, values: Readonly<Record<string, string>>): ChatbotContext =>
  Object.keys(values).length === 0
    ? context
    : {
        ...context,
        additionalContext: { ...context.additionalContext, ...values },
        enableCustomActions: true,
      };

/**
 * Builds the notification. `extraText` (what auto-remediation applied and how to roll it back, or why
 * it did not) joins the evidence of every rendering; `proposalId` makes the proposal approvable in chat.
 */
export function notificationOf(
  outcome: Outcome,
  options: {
    applied?: boolean;
    extraText?: string;
    proposalId?: string;
    predicted?: boolean;
    /** Where an applied fix was written: its lines, and the Undo button for that write alone. */
    written?: WrittenGrant;
  } = {},
): SnsNotification {
  const attributes = attributesOf(outcome, options.applied);
  const rendering: RenderOptions = {
    applied: options.applied,
    remediationText: options.extraText,
    written: options.applied ? options.written : undefined,
    predicted: options.predicted,
  };
  const context = chatbotContextOf(outcome);
  return assemble(
    messageOf(outcome, rendering),
    // Chat approval of a proposal; the undo of an applied fix.
    withActions(context, {
      ...(options.proposalId ? { proposalId: options.proposalId } : {}),
      ...(options.applied && options.written ? { undoId: options.written.recordId } : {}),
    }),
    { outcome: renderJson(outcome), category: attributes.category },
    attributes,
  );
}

/** One policy of a cleanup digest: role, policy and what of it, each a value from IAM (a code span). */
const policyLine = (
  policy: { readonly roleName: string; readonly policyName: string },
  what: string,
): Line => [{ code: policy.roleName }, ' / ', { code: policy.policyName }, ': ', { code: what }];
const cleanedLine = (policy: CleanedPolicy): Line => policyLine(policy, policy.sids.join(', '));
const failedLine = (policy: FailedCleanup): Line => policyLine(policy, policy.reason);

/**
 * The one digest of a scheduled grant cleanup, or undefined when it found nothing. Role, policy and
 * Sid names read back from IAM may have been edited by hand: they are code spans of a message.
 */
export function grantsCleanupNotificationOf(
  report: CleanupReport,
  options: { readonly reviewUnusedDays?: number; readonly accountId?: string },
): SnsNotification | undefined {
  const { removedExpired, unused, failed } = report;
  if (removedExpired.length === 0 && unused.length === 0 && failed.length === 0) return undefined;
  const headline: Line = [
    `Grant cleanup: ${removedExpired.length} expired grant(s) removed, ${unused.length} unused grant(s) ${report.removedUnused ? 'removed' : 'found'}${failed.length > 0 ? `, ${failed.length} polic(ies) left unchanged: refused` : ''}.`,
  ];
  const unusedCaption = `Grants unused for ${options.reviewUnusedDays ?? '?'} day(s), ${report.removedUnused ? 'removed' : 'proposed for removal (set removeUnusedGrants=true to remove them)'}:`;
  const message: Message = {
    verdict: headline,
    subject: headline,
    nextStep:
      unused.length > 0 && !report.removedUnused
        ? [
            'Review the unused grants below; revoke one with ',
            { code: 'sagemaker-iam-remediator grants revoke' },
          ]
        : ['Nothing to do: IAM already no longer honours expired statements.'],
    evidence: [
      ...(removedExpired.length > 0
        ? [
            {
              kind: 'lines' as const,
              lines: [['Expired grants removed:'], ...removedExpired.map(cleanedLine)],
            },
          ]
        : []),
      ...(unused.length > 0
        ? [{ kind: 'lines' as const, lines: [[unusedCaption], ...unused.map(cleanedLine)] }]
        : []),
      ...(failed.length > 0
        ? [
            {
              kind: 'lines' as const,
              lines: [['Left unchanged, the change refused:'], ...failed.map(failedLine)],
            },
          ]
        : []),
    ],
    keywords: ['grants', 'cleanup'],
  };
  return assemble(
    message,
    {
      eventType: 'GrantCleanup',
      threadId: 'sagemaker-iam-remediator-grants',
      relatedResources: [],
      additionalContext: {},
    },
    { report },
    {
      category: NOTIFICATION_CATEGORIES.grantsCleanup,
      fixLocation: 'identity-policy',
      accountId: options.accountId,
      severity: 'info',
    },
  );
}

/** What an Undo from chat did: the record's statements removed, or why nothing changed. */
export function undoNotificationOf(
  undo: {
    readonly recordId: string;
    readonly by: string;
    /** Where the record's statements were, when the record was found and readable. */
    readonly target?: { readonly roleName: string; readonly policyName: string; readonly accountId?: string };
  },
  result: { readonly undone: boolean; readonly detail: string },
): SnsNotification {
  const verdict: Line = result.undone
    ? [
        'Undone: the statements of record ',
        { code: undo.recordId },
        ' were removed from ',
        { code: undo.target?.policyName ?? 'unknown' },
        ' on role ',
        { code: undo.target?.roleName ?? 'unknown' },
        '.',
      ]
    : ['Undo of record ', { code: undo.recordId }, ' refused: nothing changed.'];
  const message: Message = {
    verdict,
    subject: verdict,
    nextStep: result.undone
      ? ['Nothing to do; the job may need the grant again if it reruns.']
      : ['Not undone: ', { code: result.detail }],
    evidence: [{ kind: 'lines', lines: [['Asked by ', { code: undo.by }], [result.detail]] }],
    keywords: ['grants', 'undo', result.undone ? 'undone' : 'refused'],
  };
  return assemble(
    message,
    {
      eventType: 'GrantUndo',
      threadId: 'sagemaker-iam-remediator-grants',
      relatedResources: [],
      additionalContext: { recordId: undo.recordId },
    },
    { undo, ...result },
    {
      category: NOTIFICATION_CATEGORIES.undo,
      fixLocation: 'identity-policy',
      accountId: undo.target?.accountId,
      severity: result.undone ? 'info' : 'medium',
    },
  );
}
