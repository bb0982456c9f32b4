/**
 * Renders an outcome three ways: plain text (email, SNS default, the CLI), an AWS Chatbot custom
 * notification (Slack) and JSON. All three read in the same order: the untrusted-origin warning when
 * there is one, the verdict (what failed, for which job, in which account and region), what to do
 * (the command, or where the block lives and who owns it), the console link, then the evidence.
 *
 * A message is built once as lines of spans; each channel renders the spans, neutralising every string
 * the service did not write itself (neutralise.ts). Pure functions of their input.
 */
import { certaintyOf, certaintyOfAll } from './certainty.js';
import { plainBlock, plainLine, slackCode, slackCodeBlock, slackText, slackValue } from './neutralise.js';
import type { FixProposal } from './propose.js';
import { expiryText, shellQuote } from './propose.js';
import { JOB_TYPES } from './job-types.js';
import type {
  Certainty,
  Finding,
  FixLocation,
  JobContext,
  Line,
  NonPermissionDiagnosis,
  PermissionDiagnosis,
  Span,
} from './types.js';
import { FIX_LOCATIONS, NON_PERMISSION_CATEGORIES } from './types.js';

export type { Line, Span } from './types.js';

/**
 * What the pipeline produced for one failure: a proposal exactly when it is a permission problem.
 * `job` is the failed job as the event or Describe call gave it; absent for a bare failure text.
 */
export type Outcome =
  | {
      readonly kind: 'permission';
      readonly diagnosis: PermissionDiagnosis;
      readonly proposal: FixProposal;
      readonly job?: JobContext;
    }
  | {
      readonly kind: 'not-permission';
      readonly diagnosis: NonPermissionDiagnosis;
      readonly job?: JobContext;
    };

export const OUTPUT_FORMATS = ['text', 'json', 'slack'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One write of the service: where it went, the record it points to, and when it expires. */
export interface WrittenGrant {
  readonly roleName: string;
  readonly policyName: string;
  readonly recordId: string;
  /** None for grantTtlDays 0. */
  readonly expiresAt?: string;
  /** `renewed`: every statement was on the role already; its expiry moved. */
  readonly renewed?: boolean;
}

/** The lines a message says of a write: where, its record, its expiry, and how to take it back. */
export const writtenLines = (written: WrittenGrant): Line[] => [
  [
    `${written.renewed ? 'Renewed' : 'Added'} in inline policy `,
    { code: written.policyName },
    ' of role ',
    { code: written.roleName },
    ' (record ',
    { code: written.recordId },
    ').',
  ],
  [expiryText(written.expiresAt)],
  [
    "Undo only this fix with the Undo button, or remove all of the service's grants on the role: ",
    {
      code: `sagemaker-iam-remediator grants revoke --role-name ${shellQuote(written.roleName)} --policy-name ${shellQuote(written.policyName)}`,
    },
  ],
];

/** What happened after the proposal, when the handler acted on it. */
export interface RenderOptions {
  /** True when auto-remediation attached the policy: nothing is left to run. */
  readonly applied?: boolean;
  /** What auto-remediation did or why it did not (the policy, where to rerun, refusals). */
  readonly remediationText?: string;
  /** Where auto-remediation wrote the fix: the policy, the record its Sids name, its expiry. */
  readonly written?: WrittenGrant;
  /** True for a pre-flight prediction: the job has not failed yet, it will. */
  readonly predicted?: boolean;
}

/** The AWS Chatbot custom notification schema (version 1.0); Chatbot drops malformed ones silently. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
  readonly metadata?: {
    readonly threadId?: string;
    readonly summary?: string;
    readonly eventType?: string;
    readonly relatedResources?: readonly string[];
    readonly additionalContext?: Readonly<Record<string, string>>;
    /** Shows the channel's custom action buttons (chat approval) on this notification. */
    readonly enableCustomActions?: boolean;
  };
}

/**
 * How a message names each job type, and where the SageMaker console shows one.
 * The console path belongs in the job-type table (job-types.ts) as a column once that table lands.
 */
/** The SageMaker console's host in each partition that has a public console. */
const CONSOLE_HOSTS: ReadonlyMap<string, (region: string) => string> = new Map([
  ['aws', (region: string) => `${region}.console.aws.amazon.com`],
  ['aws-cn', () => 'console.amazonaws.cn'],
  ['aws-us-gov', () => 'console.amazonaws-us-gov.com'],
]);
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** The job's page in the SageMaker console, or why there is none. */
function consoleLinkOf(job: JobContext | undefined): { url: string } | { missing: string } {
  if (!job) return { missing: 'no link (only the failure text was given)' };
  const host = CONSOLE_HOSTS.get(job.partition);
  if (!host) return { missing: `no link (partition ${job.partition} has no public console)` };
  if (!job.region || !REGION.test(job.region)) return { missing: 'no link (the event names no region)' };
  if (!job.jobName) return { missing: 'no link (the event names no job)' };
  const path = JOB_TYPES[job.jobType].consolePath;
  return {
    url: `https://${host(job.region)}/sagemaker/home?region=${job.region}#/${path}/${urlSegment(job.jobName)}`,
  };
}

/** The job's page in the SageMaker console; undefined without a region, a name or a public console. */
export function consoleUrlOf(job: JobContext | undefined): string | undefined {
  const link = consoleLinkOf(job);
  return 'url' in link ? link.url : undefined;
}

/** The console fields of a message. */
export function consoleFieldsOf(job: JobContext | undefined): Pick<Message, 'consoleUrl' | 'noConsoleUrl'> {
  const link = consoleLinkOf(job);
  return 'url' in link ? { consoleUrl: link.url } : { noConsoleUrl: link.missing };
}

/** Percent-encodes everything but letters, digits, `-` and `.`: no markup can survive in a link. */
const urlSegment = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*~_]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A run of lines read together; a code block is never cut, only left out whole. */
export type Block =
  | { readonly kind: 'lines'; readonly lines: readonly Line[] }
  /** A denial: what it says, the text that says it (untrusted, shown as a quotation), and notes. */
  | {
      readonly kind: 'quote';
      readonly header: Line;
      readonly text: string;
      readonly details: readonly Line[];
    }
  | { readonly kind: 'code'; readonly caption: Line; readonly code: string };

/** One notification as a reader sees it, before any channel's markup. */
export interface Message {
  /** Plain ASCII prefix of titles and subjects when the origin is untrusted. */
  readonly warningTag?: string;
  /** The first line of every rendering when the origin is untrusted. */
  readonly warning?: string;
  /** Marks titles `[applied]`. */
  readonly applied?: boolean;
  /** What failed, for which job, in which account and region. */
  readonly verdict: Line;
  /** The verdict without the account and region, for mail subjects (100 characters). */
  readonly subject: Line;
  readonly nextStep: Line;
  /** The command to run, when there is one: chat shows it as the next step, once. */
  readonly command?: string;
  /** What the command is: "Fix", "The most likely fix", ... by certainty. */
  readonly commandLabel?: string;
  readonly consoleUrl?: string;
  /** Why there is no console link, when there is none. */
  readonly noConsoleUrl?: string;
  readonly evidence: readonly Block[];
  /** The policy as a block, for renderings that show it beside the command (text, not chat). */
  readonly policy?: Block;
  readonly keywords: readonly string[];
}

/**
 * Who chose the text or the resources of a failure: SageMaker itself (trusted), the job's own container
 * (an AlgorithmError's text), or the caller of a denied API call (CloudTrail parameters).
 */
export const ORIGINS = { sagemaker: 'sagemaker', container: 'container', apiCall: 'api-call' } as const;
export type Origin = (typeof ORIGINS)[keyof typeof ORIGINS];

export function originOf(
  diagnosis: { readonly untrustedText: boolean },
  job: JobContext | undefined,
): Origin {
  if (diagnosis.untrustedText) return ORIGINS.container;
  return job?.origin === 'api-call' ? ORIGINS.apiCall : ORIGINS.sagemaker;
}

const ORIGIN_WARNINGS = {
  container: {
    tag: '[untrusted text] ',
    warning:
      "WARNING: untrusted text. The job's own container wrote this failure message (AlgorithmError): whoever controls the job's code chose every action and resource quoted here. Verify them before running or approving anything.",
  },
  apiCall: {
    tag: '[untrusted request] ',
    warning:
      'WARNING: untrusted request. The resources here come from the parameters of a denied API call (CloudTrail), which the caller chose. Verify them before running or approving anything.',
  },
} as const;

/** The warning a message opens with when its text or its resources came from someone untrusted. */
export function originWarningOf(origin: Origin): { readonly warningTag?: string; readonly warning?: string } {
  const warning =
    origin === ORIGINS.container
      ? ORIGIN_WARNINGS.container
      : origin === ORIGINS.apiCall
        ? ORIGIN_WARNINGS.apiCall
        : undefined;
  return warning ? { warningTag: warning.tag, warning: warning.warning } : {};
}

/** Where each kind of block lives and who can lift it: what the second line says when an Allow cannot help. */
const BLOCK_OWNERS: Readonly<Record<FixLocation, { readonly where: string; readonly owner: string }>> = {
  'identity-policy': { where: "the role's own identity policies", owner: "the role's owner" },
  'resource-policy': {
    where: 'the resource policy of the target (bucket, key or repository policy)',
    owner: "the resource's owner",
  },
  scp: {
    where: 'a service control policy of the AWS Organization',
    owner: "the organization's administrators",
  },
  'resource-control-policy': {
    where: 'a resource control policy of the AWS Organization',
    owner: "the organization's administrators",
  },
  'permissions-boundary': { where: "the role's permissions boundary", owner: "the boundary's owner" },
  'session-policy': {
    where: 'the session policy passed when the role was assumed',
    owner: 'the caller that assumes the role',
  },
  'vpc-endpoint-policy': {
    where: "the policy of the VPC endpoint the job's traffic goes through",
    owner: 'the network owner',
  },
  'trust-policy': { where: "the role's trust policy", owner: "the role's owner" },
  unknown: {
    where:
      "a policy the message does not name (an SCP, the permissions boundary, a resource policy or the role's own policies)",
    owner: 'its owner',
  },
};

/** Words a message uses beside each certainty; "the most likely fix" only beside `likely`. */
const FIX_LABELS: Readonly<Record<Certainty, string>> = {
  certain: 'Fix',
  likely: 'The most likely fix',
  possible: 'A possible fix',
};

const QUOTE_LIMIT = 300;
const NAME_LIMIT = 100;
const ACTIONS_IN_VERDICT = 3;

const clip = (text: string, limit: number): string =>
  text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;

/** The certainty every verdict ends with, ` [certain]`: a title cut short still says it. */
const CERTAINTY_TAIL = / \[[a-z]+\]$/;

/** A title cut to `limit` characters in the middle, keeping its closing certainty. */
export function clipTitle(text: string, limit: number, ellipsis = '…'): string {
  if (text.length <= limit) return text;
  const tail = CERTAINTY_TAIL.exec(text)?.[0] ?? '';
  return `${text.slice(0, limit - ellipsis.length - tail.length)}${ellipsis}${tail}`;
}

const unique = <T>(items: Iterable<T>): T[] => [...new Set(items)];

const actionsOfFindings = (findings: readonly Finding[]): string[] =>
  unique(findings.flatMap((f) => f.grants.flatMap((g) => g.actions)));

function actionList(actions: readonly string[]): string {
  const shown = actions.slice(0, ACTIONS_IN_VERDICT).join(', ');
  const more = actions.length - ACTIONS_IN_VERDICT;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** The job's name as a value, or what stands for it. */
export function jobNameOf(job: JobContext | undefined, diagnosis: { readonly jobName?: string }): Span {
  const name = job?.jobName ?? diagnosis.jobName;
  return name ? { code: clip(name, NAME_LIMIT) } : '(name unknown)';
}

/** "Training job `x` in account `1`, region `r`": every rendering names the job and where it ran. */
export function jobLineOf(
  job: JobContext | undefined,
  diagnosis: { readonly jobName?: string; readonly accountId?: string },
): Line {
  const noun = job ? JOB_TYPES[job.jobType].noun : 'SageMaker job';
  const account = job?.accountId ?? diagnosis.accountId;
  return [
    `${noun.charAt(0).toUpperCase()}${noun.slice(1)} `,
    jobNameOf(job, diagnosis),
    ' in account ',
    account ? { code: account } : '(unknown)',
    ', region ',
    job?.region ? { code: job.region } : '(unknown)',
  ];
}

/** A finding an Allow on the role cannot lift. */
const isBlock = (f: Finding): boolean =>
  f.explicitDeny ||
  (f.fixLocation !== FIX_LOCATIONS.identityPolicy && f.fixLocation !== FIX_LOCATIONS.unknown);

function permissionVerdict(proposal: FixProposal, certainty: Certainty, predicted = false): Line {
  const blocks = proposal.findings.filter(isBlock);
  const tail = ` [${certainty}]`;
  const failed = predicted ? ' will fail' : ' failed';
  if (proposal.policy) {
    const actions = unique(proposal.policy.Statement.flatMap((s) => s.Action));
    const channels = unique(proposal.findings.map((f) => f.channel)).join(', ');
    return [
      `${failed}: role `,
      { code: proposal.roleName },
      ` lacks ${actionList(actions)} (${channels})${tail}`,
    ];
  }
  const first = blocks[0];
  if (first) {
    const denied = actionList(actionsOfFindings(blocks)) || 'the request';
    const how = first.explicitDeny ? 'is explicitly denied by' : 'is blocked by';
    return [`${failed}: ${denied} ${how} ${BLOCK_OWNERS[first.fixLocation].where}${tail}`];
  }
  const asked = actionList(actionsOfFindings(proposal.findings)) || 'an action the message does not name';
  return [`${failed}: access denied to ${asked}; no policy is proposed${tail}`];
}

/** What the command is, by certainty, and what it still needs. */
function commandLabelOf(proposal: FixProposal, certainty: Certainty): string {
  const caveats = [
    ...(certainty === 'possible' ? ['the message names several causes'] : []),
    ...(proposal.hasPlaceholders ? ['fill in the <placeholders> first'] : []),
  ];
  return `${FIX_LABELS[certainty]}${caveats.length > 0 ? ` (${caveats.join('; ')})` : ''}`;
}

/**
 * The second line: the command, or who must change which policy, or the proposal's first advice
 * (then left out of the evidence, which holds the rest).
 */
function permissionNextStep(
  proposal: FixProposal,
  certainty: Certainty,
  options: RenderOptions,
): { readonly line: Line; readonly advice: readonly Line[] } {
  const advice = proposal.adviceLines;
  if (options.applied) {
    return {
      line: ['Applied automatically: nothing to run. Rerun the job; the change and its roll-back are below.'],
      advice,
    };
  }
  if (proposal.command)
    return { line: [`${commandLabelOf(proposal, certainty)}: `, { code: proposal.command }], advice };
  const block = proposal.findings.find(isBlock);
  if (block) {
    const { where, owner } = BLOCK_OWNERS[block.fixLocation];
    const policy: Span[] = block.policyArn ? [' (', { code: block.policyArn }, ')'] : [];
    return {
      line: [
        `Who fixes it: ${owner} must change ${where}`,
        ...policy,
        '; an Allow on the role will not help.',
      ],
      advice,
    };
  }
  const [first, ...rest] = advice;
  return first
    ? { line: first, advice: rest }
    : { line: ['No IAM change can be derived from this text: read the evidence below.'], advice };
}

function findingBlock(finding: Finding): Block {
  const known = finding.fixLocation !== FIX_LOCATIONS.unknown;
  const how = finding.explicitDeny ? 'explicit deny' : 'denied';
  const where = known ? `; ${how} in ${finding.fixLocation}` : finding.explicitDeny ? `; ${how}` : '';
  const actions = actionsOfFindings([finding]);
  const causes: Line[] =
    finding.causes.length > 0
      ? [
          ['Possible causes, most probable first:'],
          ...finding.causes.map((cause, index): Line => [`  ${index + 1}. ${cause}`]),
        ]
      : [];
  return {
    kind: 'quote',
    header: [
      'Denied: ',
      ...(actions.length > 0 ? [{ code: actions.join(', ') }, ' for '] : []),
      `${finding.channel} (${certaintyOf(finding)}${where})`,
    ],
    text: clip(finding.matchedText, QUOTE_LIMIT),
    details: [...causes, ...finding.notes.map((note): Line => [`Note: ${note}`])],
  };
}

function permissionMessage(
  outcome: Extract<Outcome, { kind: 'permission' }>,
  options: RenderOptions,
): Message {
  const { proposal } = outcome;
  const certainty = certaintyOfAll(proposal.findings);
  const jobLine = jobLineOf(outcome.job, outcome.diagnosis);
  const nextStep = permissionNextStep(proposal, certainty, options);
  const failed = permissionVerdict(proposal, certainty, options.predicted);
  const afterwards = [
    ...nextStep.advice,
    ...(proposal.hasPlaceholders
      ? [['Some resources are <placeholders>: the job description did not name them; fill them in.']]
      : []),
    ...(proposal.verification.status === 'unverified'
      ? [[`Unverified: the role's live policies could not be checked (${proposal.verification.reason}).`]]
      : []),
    ...(proposal.withinInlinePolicyLimit
      ? []
      : [['The policy exceeds the inline policy size limit: use a managed policy.']]),
    // The proposal says when what it proposes stops working; a write names its own expiry.
    ...(proposal.policy && proposal.expiresAt && !options.applied ? [[expiryText(proposal.expiresAt)]] : []),
  ];
  const services = actionsOfFindings(proposal.findings).map((action) => action.split(':')[0] ?? action);
  return {
    ...originWarningOf(originOf(outcome.diagnosis, outcome.job)),
    applied: options.applied,
    verdict: [...jobLine, ...failed],
    subject: [jobNameOf(outcome.job, outcome.diagnosis), ...failed],
    nextStep: nextStep.line,
    command: options.applied ? undefined : proposal.command,
    ...consoleFieldsOf(outcome.job),
    commandLabel: commandLabelOf(proposal, certainty),
    evidence: [
      ...proposal.findings.map(findingBlock),
      ...(afterwards.length > 0 ? [{ kind: 'lines' as const, lines: afterwards }] : []),
      ...(options.written ? [{ kind: 'lines' as const, lines: writtenLines(options.written) }] : []),
      ...(options.remediationText
        ? [{ kind: 'code' as const, caption: ['Auto-remediation:'], code: options.remediationText }]
        : []),
    ],
    policy:
      proposal.policy && !options.applied
        ? {
            kind: 'code',
            caption: [
              'Policy ',
              { code: proposal.policyName ?? '' },
              ' for role ',
              { code: proposal.roleName },
              ':',
            ],
            code: JSON.stringify(proposal.policy, null, 2),
          }
        : undefined,
    keywords: unique([
      ...services,
      ...proposal.findings.map((f) => f.channel),
      ...proposal.findings.map((f) => f.fixLocation).filter((l) => l !== FIX_LOCATIONS.unknown),
      ...(outcome.job ? [outcome.job.jobType] : []),
    ]),
  };
}

function notPermissionMessage(outcome: Extract<Outcome, { kind: 'not-permission' }>): Message {
  const { diagnosis } = outcome;
  // Only a recognised cause rules IAM out; an unread text says only that nothing was found.
  const unrecognised = diagnosis.category === NON_PERMISSION_CATEGORIES.unrecognised;
  const failed = unrecognised
    ? ' failed: not recognised as a permission problem; nothing proposed.'
    : ` failed: not a permission problem (${diagnosis.category}): ${diagnosis.summary.replace(/\.$/, '')}.`;
  // Nothing proposed and nothing quoted (the summary is the catalog's words): no origin warning.
  return {
    verdict: [...jobLineOf(outcome.job, outcome.diagnosis), failed],
    subject: [jobNameOf(outcome.job, outcome.diagnosis), failed],
    nextStep: [
      unrecognised
        ? 'Read the failure text: it names no AccessDenied statement or permission wording the catalog knows.'
        : `No IAM change is needed: fix the ${diagnosis.category} cause and rerun the job.`,
    ],
    ...consoleFieldsOf(outcome.job),
    evidence: [],
    keywords: unique(['not-permission', diagnosis.category, ...(outcome.job ? [outcome.job.jobType] : [])]),
  };
}

/** The message of an outcome, before any channel's markup: every rendering of it starts here. */
export const messageOf = (outcome: Outcome, options: RenderOptions = {}): Message =>
  outcome.kind === 'permission' ? permissionMessage(outcome, options) : notPermissionMessage(outcome);

/** The console line, for a message about one job; a message about many (a digest) has none. */
const consoleLines = (message: Message): string[] => {
  const link = message.consoleUrl ?? message.noConsoleUrl;
  return link === undefined ? [] : [`Console: ${link}`];
};

// ---- plain text -------------------------------------------------------------------------------

const textLine = (line: Line): string =>
  line.map((span) => plainLine(typeof span === 'string' ? span : span.code)).join('');

function textBlock(block: Block): string {
  switch (block.kind) {
    case 'lines':
      return block.lines.map(textLine).join('\n');
    case 'quote':
      // The quotation is one marked line: it cannot pose as a line the service wrote.
      return [
        textLine(block.header),
        ...(block.text ? [`  | ${plainLine(block.text)}`] : []),
        ...block.details.map(textLine),
      ].join('\n');
    case 'code':
      return `${textLine(block.caption)}\n${plainBlock(block.code)}`;
    default: {
      const unreachable: never = block;
      throw new Error(`unknown block ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Plain text for email, SNS default and the terminal: no control or escape characters, ever. */
export const renderText = (outcome: Outcome, options: RenderOptions = {}): string =>
  textOfMessage(messageOf(outcome, options));

export function textOfMessage(message: Message): string {
  const head = [
    textLine(message.verdict),
    ...(message.warning ? [message.warning] : []),
    textLine(message.nextStep),
    ...consoleLines(message).map(plainLine),
  ];
  const evidence = [...message.evidence, ...(message.policy ? [message.policy] : [])].map(textBlock);
  return [head.join('\n'), ...evidence].join('\n\n');
}

const titlePrefix = (message: Message): string =>
  plainLine(`${message.warningTag ?? ''}${message.applied ? '[applied] ' : ''}`);

/** The mail subject as plain text: the untrusted tag first, then the job and what failed. */
export const subjectOfMessage = (message: Message): string =>
  `${titlePrefix(message)}${textLine(message.subject)}`;

export const subjectOf = (outcome: Outcome, options: RenderOptions = {}): string =>
  subjectOfMessage(messageOf(outcome, options));

// ---- Slack through AWS Chatbot ---------------------------------------------------------------

/** Descriptions longer than this are cut, a whole block at a time, after the head. */
export const CHATBOT_DESCRIPTION_LIMIT = 3_500;
const CHATBOT_TITLE_LIMIT = 250;
/** A longer command is left to the email: a chat client wraps it beyond use. */
const CHATBOT_COMMAND_LIMIT = 3_000;

const slackLine = (line: Line): string =>
  line.map((span) => (typeof span === 'string' ? slackText(span) : slackCode(span.code))).join('');

/** Titles may not render markup: values are neutralised as prose, without code spans. */
const slackTitleLine = (line: Line): string =>
  line.map((span) => slackText(typeof span === 'string' ? span : span.code)).join('');

function slackBlock(block: Block): string {
  switch (block.kind) {
    case 'lines':
      return block.lines.map(slackLine).join('\n');
    case 'quote':
      return [
        slackLine(block.header),
        ...(block.text ? [`> ${slackCode(block.text)}`] : []),
        ...block.details.map(slackLine),
      ].join('\n');
    case 'code':
      return `${slackLine(block.caption)}\n${slackCodeBlock(block.code)}`;
    default: {
      const unreachable: never = block;
      throw new Error(`unknown block ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The head, then whole blocks while they fit; what is left out is counted, never cut in half. */
function fitted(head: string, blocks: readonly string[], limit: number): string {
  let description = head;
  for (const [index, block] of blocks.entries()) {
    const left = blocks.length - index;
    const note = `\n\n… ${left} more part(s) in the email notification.`;
    const next = `${description}\n\n${block}`;
    const reserve = left > 1 ? note.length : 0;
    if (next.length + reserve > limit) return `${description}${note}`;
    description = next;
  }
  return description;
}

/** Chatbot metadata that depends on what the notification is about; values are neutralised here. */
export interface ChatbotContext {
  readonly eventType: string;
  readonly threadId: string;
  readonly relatedResources: readonly string[];
  readonly additionalContext: Readonly<Record<string, string>>;
  /** Shows the channel's custom action buttons (chat approval) on the notification. */
  readonly enableCustomActions?: boolean;
}

/**
 * The AWS Chatbot custom notification of a message. The policy appears once, inside the command of
 * the next step. Approval metadata (proposal id, custom actions) is the notification's business.
 */
export function chatbotOfMessage(message: Message, context: ChatbotContext): ChatbotNotification {
  const { command } = message;
  const nextStep =
    command === undefined
      ? slackLine(message.nextStep)
      : `*${slackText(message.commandLabel ?? FIX_LABELS.likely)}:* run the command under Next steps.`;
  const head = [
    slackLine(message.verdict),
    ...(message.warning ? [`*${slackText(message.warning)}*`] : []),
    nextStep,
    ...consoleLines(message).map(slackText),
  ].join('\n');
  const title = clipTitle(`${titlePrefix(message)}${slackTitleLine(message.verdict)}`, CHATBOT_TITLE_LIMIT);
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title,
      description: fitted(head, message.evidence.map(slackBlock), CHATBOT_DESCRIPTION_LIMIT),
      ...(command === undefined
        ? {}
        : {
            nextSteps: [
              command.length <= CHATBOT_COMMAND_LIMIT
                ? slackCode(command)
                : `The command is ${command.length} characters, too long for chat: copy it from the email notification.`,
            ],
          }),
      keywords: message.keywords.map(slackValue),
    },
    metadata: {
      threadId: slackValue(context.threadId),
      summary: title,
      eventType: context.eventType,
      relatedResources: context.relatedResources.map(slackValue),
      additionalContext: Object.fromEntries(
        Object.entries(context.additionalContext).map(([key, value]) => [key, slackValue(value)]),
      ),
      ...(context.enableCustomActions ? { enableCustomActions: true } : {}),
    },
  };
}

export const renderChatbot = (outcome: Outcome, options: RenderOptions = {}): ChatbotNotification =>
  chatbotOfMessage(messageOf(outcome, options), chatbotContextOf(outcome));

/** The Chatbot metadata of an outcome's notification: its thread is the job's. */
export function chatbotContextOf(outcome: Outcome): ChatbotContext {
  const { diagnosis, job } = outcome;
  const proposal = outcome.kind === 'permission' ? outcome.proposal : undefined;
  return {
    eventType: 'SageMakerPermissionFailure',
    threadId: job?.jobName ?? diagnosis.jobName ?? 'sagemaker-iam-remediator',
    relatedResources: [
      ...(diagnosis.roleArn ? [diagnosis.roleArn] : []),
      ...(job?.jobArn ? [job.jobArn] : []),
    ],
    additionalContext: {
      ...jobFactsOf(job, diagnosis),
      ...(proposal
        ? { fixLocation: proposal.fixLocation, certainty: certaintyOfAll(proposal.findings) }
        : {}),
    },
  };
}

// ---- JSON ------------------------------------------------------------------------------------

/** The facts every rendering names about the job, as strings; a missing fact is `unknown`. */
export function jobFactsOf(
  job: JobContext | undefined,
  diagnosis: { readonly jobName?: string; readonly accountId?: string },
): Record<'jobType' | 'jobName' | 'accountId' | 'region' | 'consoleUrl', string> {
  return {
    jobType: job?.jobType ?? 'unknown',
    jobName: job?.jobName ?? diagnosis.jobName ?? 'unknown',
    accountId: job?.accountId ?? diagnosis.accountId ?? 'unknown',
    region: job?.region ?? 'unknown',
    consoleUrl: consoleUrlOf(job) ?? 'unknown',
  };
}

/**
 * JSON: the proposal (its `policy` is the IAM policy document), or the non-permission verdict; with
 * the job's facts and the headline lines the other renderings show. Certainty words follow
 * certainty.ts here too, and `explanation` is the evidence as the text rendering shows it.
 */
export function renderJson(outcome: Outcome): unknown {
  const message = messageOf(outcome, {});
  const headline = {
    verdict: textLine(message.verdict),
    warning: message.warning ?? null,
    nextStep: textLine(message.nextStep),
  };
  const job = jobFactsOf(outcome.job, outcome.diagnosis);
  if (outcome.kind === 'not-permission') {
    const { kind: _kind, ...verdict } = outcome.diagnosis;
    return { headline, isPermission: false, ...verdict, job };
  }
  const { adviceLines: _adviceLines, ...proposal } = outcome.proposal;
  return {
    headline,
    isPermission: true,
    ...proposal,
    certainty: certaintyOfAll(proposal.findings),
    findings: proposal.findings.map((finding) => ({ ...finding, certainty: certaintyOf(finding) })),
    explanation: message.evidence.map(textBlock).join('\n'),
    job,
  };
}

export function render(outcome: Outcome, format: OutputFormat): string {
  switch (format) {
    case 'text':
      return renderText(outcome);
    case 'slack':
      return JSON.stringify(renderChatbot(outcome), null, 2);
    case 'json':
      return JSON.stringify(renderJson(outcome), null, 2);
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}
