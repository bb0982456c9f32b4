/**
 * Notification injection (issue 8, item 10): text the job's container or caller wrote must reach no
 * reader as markup, escape sequence or a line of its own, and the untrusted-origin warning comes first
 * in every rendering, whatever the text does to the length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import type { ChatbotNotification, Outcome } from '../../lambdas/core/index.js';
import type { IncidentRecord } from '../../lambdas/core/incident.js';
import { causeOf, digestNotificationOf, firstMessageOf } from '../../lambdas/core/incident.js';
import type { SnsNotification } from '../../lambdas/core/notification.js';
import {
  approvalNotificationOf,
  grantsCleanupNotificationOf,
  notificationOf,
  undoNotificationOf,
} from '../../lambdas/core/notification.js';
import { CHATBOT_DESCRIPTION_LIMIT, renderChatbot, renderText } from '../../lambdas/core/render.js';
import { readEvent } from '../helpers/fixtures.js';

const ACCOUNT = '111122223333';
const WARNING = /^WARNING: untrusted text\. The job's own container wrote this failure message/;
/** The verdict line of a job's failure, as every rendering opens. */
const VERDICT = /^Training job \S+ in account \d{12}, region [a-z0-9-]+ failed: /;

/** A training job whose container wrote `reason` to /opt/ml/output/failure, optionally renamed. */
function outcomeOf(reason: string, jobName?: string): Outcome {
  const event = readEvent('training-untrusted-failure-file.json');
  const detail = event.detail as Record<string, unknown>;
  const job = failedJobFromInput({
    ...event,
    detail: {
      ...detail,
      FailureReason: reason,
      ...(jobName === undefined ? {} : { TrainingJobName: jobName }),
    },
  });
  return analyse(reason, job);
}

/** A denial sentence in AWS's documented form, around hostile text in the resource. */
const denial = (resource: string): string =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::${resource} because no identity-based policy allows the s3:GetObject action`;

/** Every string a Chatbot notification shows or hands to a client. */
const chatStrings = (notification: ChatbotNotification): string[] => [
  notification.content.title,
  notification.content.description,
  ...(notification.content.nextSteps ?? []),
  ...(notification.content.keywords ?? []),
  notification.metadata?.threadId ?? '',
  notification.metadata?.summary ?? '',
  ...(notification.metadata?.relatedResources ?? []),
  ...Object.values(notification.metadata?.additionalContext ?? {}),
];

const FENCED_BLOCK = /```\n[^`]*\n```/g;
const CODE_SPAN = /`[^`\n]*`/g;

/** What a Slack client renders as markup: everything outside code blocks and code spans. */
const outsideCode = (markdown: string): string => markdown.replace(FENCED_BLOCK, '').replace(CODE_SPAN, '');

/** Fences pair up, and outside them every line's code spans are closed. */
function codeIsBalanced(markdown: string): boolean {
  const fences = markdown.match(/```/g)?.length ?? 0;
  return (
    fences % 2 === 0 &&
    markdown
      .replace(FENCED_BLOCK, '')
      .split('\n')
      .every((line) => (line.match(/`/g)?.length ?? 0) % 2 === 0)
  );
}

/** Controls, escapes and invisible reordering characters; a line feed is the only control allowed. */
// eslint-disable-next-line no-control-regex -- the assertion is about control characters
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

describe('Slack through AWS Chatbot', () => {
  it.each([
    ['a channel mention', '<!channel>'],
    ['a here mention', '<!here>'],
    ['a user mention', '<@U024BE7LH>'],
    ['a link with a label', '<https://evil.example|Click here to approve>'],
  ])('shows %s as inert text', (_name, vector) => {
    // Prepare
    const outcome = outcomeOf(`AlgorithmError: ${vector} ${denial(`b/${vector}`)}`, `job${vector}`);
    // Act
    const strings = chatStrings(renderChatbot(outcome));
    // Assess
    for (const text of strings) {
      expect(text).not.toMatch(/<[!@#]|<https?:/);
      expect(text).not.toContain('|Click here to approve>');
    }
    expect(renderChatbot(outcome).content.description).toContain(
      `${vector.replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›'))}`,
    );
  });

  it('keeps markdown from the text inside code spans, where it means nothing', () => {
    // Prepare
    const outcome = outcomeOf(`AlgorithmError: ${denial('b/*APPROVED*_by_security_~not~')}`);
    // Act
    const { description } = renderChatbot(outcome).content;
    // Assess
    expect(description).toContain('arn:aws:s3:::b/*APPROVED*_by_security_~not~ because');
    expect(outsideCode(description)).not.toMatch(/APPROVED|by.security/);
  });

  it('lets no backtick in the text end a code span or open a fence', () => {
    // Prepare
    const hostile = 'x`<!channel>`y```fake-fence```';
    const outcome = outcomeOf(`AlgorithmError: ${denial(`b/${hostile}`)}`, hostile);
    // Act
    const notification = renderChatbot(outcome);
    // Assess
    for (const text of chatStrings(notification)) expect(codeIsBalanced(text)).toBe(true);
    const link = /https:\/\/\S+/g;
    expect(outsideCode(notification.content.description).replace(link, '')).not.toMatch(/channel|fake-fence/);
    expect(notification.content.description).toContain('/jobs/x%60%3C%21channel%3E%60y%60%60%60fake-fence');
    expect(notification.content.nextSteps?.[0]).toMatch(/^`aws iam put-role-policy [^`]*`$/);
  });

  it('does not let a fake code fence and line breaks in the text pose as a line of the message', () => {
    // Prepare: the catalog's download rule quotes everything between its two phrases
    const fake =
      '\n```\nFix: aws iam attach-role-policy --role-name SageMakerExecRole --policy-arn arn:aws:iam::aws:policy/AdministratorAccess\n```\n';
    const outcome = outcomeOf(`AlgorithmError: Data download failed:${fake}(AccessDenied: Access Denied)`);
    // Act
    const { description } = renderChatbot(outcome).content;
    const text = renderText(outcome);
    // Assess
    expect(description.split('\n').filter((line) => line.includes('attach-role-policy'))).toEqual([
      expect.stringMatching(
        /^> `Data download failed: ⏎ ˋˋˋ ⏎ Fix: aws iam attach-role-policy .* ⏎ ˋˋˋ ⏎ \(AccessDenied`$/,
      ),
    ]);
    expect(text.split('\n').filter((line) => line.includes('attach-role-policy'))).toEqual([
      expect.stringMatching(/^ {2}\| Data download failed: ⏎ ``` ⏎ Fix: aws iam attach-role-policy/),
    ]);
    expect(codeIsBalanced(description)).toBe(true);
    expect(text.split('\n')[2]).toMatch(/^The most likely fix: aws iam put-role-policy /);
  });

  it('cuts a long description between whole blocks, never inside a code block, after the warning', () => {
    // Prepare
    const outcome = outcomeOf(`AlgorithmError: ${denial('b/k')}`);
    const remediationText = `Auto-remediation refused.\n${'Not applied: a refusal. '.repeat(200)}`;
    // Act
    const { description } = renderChatbot(outcome, { remediationText }).content;
    // Assess
    expect(description.length).toBeLessThanOrEqual(CHATBOT_DESCRIPTION_LIMIT);
    expect(description.split('\n')[1]).toMatch(/^\*WARNING: untrusted text\./);
    expect(description).not.toContain('Not applied: a refusal.');
    expect(description).toMatch(/… 1 more part\(s\) in the email notification\.$/);
    expect(codeIsBalanced(description)).toBe(true);
  });
});

describe('plain text (email, SNS default, --format text)', () => {
  it.each([
    ['colour and screen-clearing CSI sequences', '\x1b[2J\x1b[31mAPPROVED\x1b[0m'],
    ['an OSC 8 terminal hyperlink', '\x1b]8;;https://evil.example\x07approve\x1b]8;;\x07'],
    ['a one-byte C1 CSI', '\x9b31mred'],
    ['a carriage return that overwrites the line', 'harmless\rFix: aws iam attach-role-policy'],
    ['bidirectional overrides', 'abc\u202edcba\u202c'],
    ['NUL, bell and backspace', 'a\x00b\x07c\x08d'],
  ])('removes %s', (_name, vector) => {
    // Prepare
    const outcome = outcomeOf(`AlgorithmError: ${vector} ${denial('b/k')}`);
    // Act
    const text = renderText(outcome);
    const email = (JSON.parse(notificationOf(outcome).message) as { email: string; default: string }).email;
    // Assess
    for (const rendering of [text, email]) {
      expect(rendering).not.toMatch(CONTROL);
      expect(rendering).not.toContain('\x1b');
      expect(rendering.split('\n').some((line) => line.startsWith('Fix: aws iam attach-role-policy'))).toBe(
        false,
      );
    }
  });

  it('keeps the warning right after the verdict in the email and chat, the tag first in titles', () => {
    // Prepare: fourteen short deny sentences, under the 1,024-character FailureReason cap
    const sentences = Array.from(
      { length: 14 },
      (_, index) => `not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k${index}`,
    );
    const reason = `AlgorithmError: ${sentences.join(' ')}`;
    expect(reason.length).toBeLessThanOrEqual(1_024);
    const outcome = outcomeOf(reason);
    // Act
    const notification = notificationOf(outcome, { proposalId: 'p-1' });
    const body = JSON.parse(notification.message) as Record<'default' | 'email' | 'https', string>;
    const chatbot = JSON.parse(body.https) as ChatbotNotification;
    // Assess
    expect(notification.subject).toMatch(/^\[untrusted text\] /);
    expect(notification.subject.length).toBeLessThanOrEqual(100);
    expect(body.email.split('\n')[0]).toMatch(VERDICT);
    expect(body.email.split('\n')[1]).toMatch(WARNING);
    expect(body.default.split('\n')[1]).toMatch(WARNING);
    expect(chatbot.content.title).toMatch(/^\[untrusted text\] /);
    expect(chatbot.metadata?.summary).toMatch(/^\[untrusted text\] /);
    expect(chatbot.content.description.split('\n')[1]).toMatch(/^\*WARNING: untrusted text\./);
    // Cut to its limits, each title still ends with the certainty (a container's text names no
    // policy type, so the proposal is `likely`).
    expect(outcome.kind === 'permission' && outcome.proposal.certainty).toBe('likely');
    expect(notification.subject).toMatch(/\.\.\. \[likely\]$/);
    expect(chatbot.content.title).toMatch(/ \[likely\]$/);
  });

  it('warns right after the verdict about resources from a denied API call too', () => {
    // Prepare
    const job = failedJobFromInput(readEvent('cloudtrail-createtrainingjob-passrole-denied.json'));
    // Act
    const text = renderText(analyse(job.failureReason ?? '', job));
    // Assess
    expect(text.split('\n')[1]).toMatch(/^WARNING: untrusted request\. The resources here come from/);
  });
});

describe('the outcome of a chat approval', () => {
  it('names the job, warns, and neutralises what the approver reports', () => {
    // Prepare
    const outcome = outcomeOf(`AlgorithmError: ${denial('b/k')}`);
    if (outcome.kind !== 'permission' || !outcome.job || !outcome.proposal.policy)
      throw new Error('expected a proposal for the job');
    const record = {
      proposalId: 'p-1',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/SageMakerExecRole`,
      policyName: outcome.proposal.policyName ?? '',
      policy: outcome.proposal.policy,
      diagnosis: outcome.diagnosis,
      job: outcome.job,
      verification: { status: 'not-attempted', reason: 'test' } as const,
    };
    const detail = 'refused: <!channel> arn:aws:s3:::b/`x`\x1b[31m';
    // Act
    const notification = approvalNotificationOf(record, { applied: false, detail });
    const body = JSON.parse(notification.message) as Record<'email' | 'https', string>;
    const chatbot = JSON.parse(body.https) as ChatbotNotification;
    // Assess
    expect(notification.subject).toBe(
      '[untrusted text] xgb-churn-2026-11-20-09-02-11-417: the approved fix was NOT attached to role Sag...',
    );
    expect(body.email.split('\n').slice(0, 2)).toEqual([
      `Training job xgb-churn-2026-11-20-09-02-11-417 in account ${ACCOUNT}, region us-east-1: the approved fix was NOT attached to role SageMakerExecRole.`,
      expect.stringMatching(WARNING),
    ]);
    expect(body.email).not.toMatch(CONTROL);
    for (const field of chatStrings(chatbot)) {
      expect(field).not.toMatch(/<[!@#]/);
      expect(codeIsBalanced(field)).toBe(true);
    }
    expect(chatbot.metadata).not.toHaveProperty('enableCustomActions');
    expect(chatbot.content.description).toContain(
      'Console: https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/',
    );
  });
});

/** Hostile fragments mixed with any text: the forms above, and what an arbitrary string may hold. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(
        '<!channel>',
        '<!here>',
        '<@U024BE7LH>',
        '<https://evil.example|Click here to approve>',
        '`',
        '```',
        '\n',
        '\r',
        '\u2028',
        '\x1b[31m',
        '\x1b]8;;x\x07',
        '\x9b',
        '\u202e',
        '*',
        '_',
        '~',
        '@here',
        '&lt;!channel&gt;',
        'Data download failed:',
        '(AccessDenied: Access Denied)',
      ),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

describe('any failure text', () => {
  it('never yields a raw mention or link, an unbalanced fence, a control character, or a late warning', () => {
    fc.assert(
      fc.property(
        hostileText,
        hostileText,
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (prefix, resource, containerWritten, renamed, statement) => {
          // Prepare: the text reaches the rendering through the job's name and the quoted denial
          const origin = containerWritten ? 'AlgorithmError: ' : 'ClientError: ';
          const reason = statement
            ? `${origin}${prefix} ${denial(resource)}`
            : `${origin}Data download failed:${prefix}${resource}(AccessDenied: Access Denied)`;
          const outcome = outcomeOf(reason, renamed && prefix.length > 0 ? prefix : undefined);
          // Act
          const chatbot = renderChatbot(outcome);
          const text = renderText(outcome);
          const notification = notificationOf(outcome, { proposalId: 'p-1' });
          // Assess
          for (const field of chatStrings(chatbot)) {
            expect(field).not.toMatch(/<[!@#]|<https?:/);
            expect(codeIsBalanced(field)).toBe(true);
          }
          expect(text).not.toMatch(CONTROL);
          expect(JSON.parse(notification.message).email).not.toMatch(CONTROL);
          expect(chatbot.content.description.length).toBeLessThanOrEqual(CHATBOT_DESCRIPTION_LIMIT);
          if (outcome.diagnosis.untrustedText && outcome.kind === 'permission') {
            expect(text.split('\n')[1]).toMatch(WARNING);
            expect(chatbot.content.title).toMatch(/^\[untrusted text\] /);
            expect(chatbot.content.description.split('\n')[1]).toMatch(/^\*WARNING: untrusted text\./);
            expect(notification.subject).toMatch(/^\[untrusted text\] /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * The characters no rendering may carry (a line feed aside), by code point: controls, and what
 * clients draw as nothing or use to reorder or tag text (Unicode's default-ignorable code points and
 * format characters, the Arabic letter mark and the tag block included). Written out here, apart from
 * the neutraliser's own pattern.
 */
const INVISIBLE_CODE_POINTS: readonly (readonly [number, number])[] = [
  [0x00, 0x09],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x600, 0x605],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

const invisibleIn = (text: string): string[] =>
  [...text].filter((c) => {
    const point = c.codePointAt(0) ?? 0;
    return INVISIBLE_CODE_POINTS.some(([low, high]) => point >= low && point <= high);
  });

/** Every string a notification carries, by the channel that shows it. */
function stringsOf(notification: SnsNotification): { text: string[]; chat: string[] } {
  const body = JSON.parse(notification.message) as Record<'default' | 'email' | 'https' | 'sqs', string>;
  const sqs = JSON.parse(body.sqs) as { text: string; chatbot: unknown };
  const walk = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : typeof value === 'object' && value !== null
        ? Object.values(value).flatMap(walk)
        : [];
  return {
    text: [
      notification.subject,
      ...Object.values(notification.attributes),
      body.default,
      body.email,
      sqs.text,
    ],
    chat: [...walk(JSON.parse(body.https)), ...walk(sqs.chatbot)],
  };
}

const SCP_DENY = (policyArn: string): string =>
  `ClientError: User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:${ACCOUNT}:repository/trainer with an explicit deny in a service control policy: ${policyArn}`;

/** One notification of every kind the service publishes, from hostile text and names. */
function everyNotification(hostile: string): [string, SnsNotification][] {
  const proposal = outcomeOf(`AlgorithmError: ${hostile} ${denial(`b/${hostile}`)}`, `job${hostile}`);
  const trusted = outcomeOf(`ClientError: ${denial(`b/${hostile}`)}`, `job${hostile}`);
  const blocked = outcomeOf(
    SCP_DENY(`arn:aws:organizations::999988887777:policy/o-a/service_control_policy/p-${hostile}`),
  );
  const other = outcomeOf(`AlgorithmError: ${hostile} CUDA error: out of memory`, `job${hostile}`);
  if (proposal.kind !== 'permission' || !proposal.job || !proposal.proposal.policy)
    throw new Error('expected a proposal for the job');
  const record = {
    proposalId: 'p-1',
    roleArn: `arn:aws:iam::${ACCOUNT}:role/SageMakerExecRole`,
    policyName: proposal.proposal.policyName ?? '',
    policy: proposal.proposal.policy,
    diagnosis: proposal.diagnosis,
    job: proposal.job,
    verification: { status: 'not-attempted', reason: hostile } as const,
  };
  const incident: IncidentRecord = {
    incidentId: `${ACCOUNT}-abc`,
    cause: causeOf(proposal, proposal.job),
    ...firstMessageOf(proposal),
    firstJob: `job${hostile}`,
    firstAt: 0,
    lastAt: 1,
    dueAt: 2,
    reportedCount: 0,
  };
  return [
    ['proposal', notificationOf(proposal, { proposalId: 'p-1' })],
    ['trusted proposal', notificationOf(trusted, { proposalId: 'p-1' })],
    ['applied', notificationOf(trusted, { applied: true, extraText: `Applied ${hostile}` })],
    ['refused', notificationOf(proposal, { extraText: `Auto-remediation refused: ${hostile}` })],
    ['predicted', notificationOf(trusted, { predicted: true })],
    ['blocked', notificationOf(blocked)],
    ['not a permission problem', notificationOf(other)],
    ['approval applied', approvalNotificationOf(record, { applied: true, detail: hostile })],
    ['approval refused', approvalNotificationOf(record, { applied: false, detail: hostile })],
    ['digest', digestNotificationOf({ incident, jobs: [hostile, `b${hostile}`], final: true })],
    [
      'auto-applied with undo',
      notificationOf(trusted, {
        applied: true,
        extraText: `Applied ${hostile}`,
        written: {
          roleName: `r${hostile}`,
          policyName: `p${hostile}`,
          recordId: hostile,
          expiresAt: hostile,
        },
      }),
    ],
    [
      'approval applied with undo',
      approvalNotificationOf(record, {
        applied: true,
        detail: hostile,
        written: { policyName: `p${hostile}`, recordId: hostile, expiresAt: hostile },
      }),
    ],
    // Role, policy and Sid names read back from IAM: anything a hand put there.
    ...[false, true].map((removedUnused): [string, SnsNotification] => {
      const cleaned = { roleName: `r${hostile}`, policyName: `p${hostile}`, sids: [hostile, 'S'] };
      const report = {
        removedExpired: [cleaned],
        unused: [cleaned],
        failed: [{ ...cleaned, reason: hostile }],
        removedUnused,
        activeStatements: 1,
      };
      const digest = grantsCleanupNotificationOf(report, { reviewUnusedDays: 30, accountId: hostile });
      if (!digest) throw new Error('expected a cleanup digest');
      return [`grant cleanup (remove unused: ${removedUnused})`, digest];
    }),
    ...[true, false].map((undone): [string, SnsNotification] => [
      `undo ${undone ? 'done' : 'refused'}`,
      undoNotificationOf(
        {
          recordId: hostile,
          by: hostile,
          target: { roleName: `r${hostile}`, policyName: `p${hostile}`, accountId: hostile },
        },
        { undone, detail: hostile },
      ),
    ]),
  ];
}

describe('every notification kind', () => {
  it('carries no raw mention, link, unbalanced code, control or invisible character in any string', () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.oneof(
              hostileText,
              fc.constantFrom(
                '\u061c',
                '\u{e0001}',
                '\u{e0041}',
                '\u{e007f}',
                '\u00ad',
                '\ufe0f',
                '<mailto:x@evil.example|Approve>',
              ),
            ),
            { maxLength: 4 },
          )
          .map((parts) => parts.join('')),
        (hostile) => {
          // Act
          const notifications = everyNotification(hostile);
          // Assess
          for (const [kind, notification] of notifications) {
            const { text, chat } = stringsOf(notification);
            for (const field of [...text, ...chat])
              expect({ kind, invisible: invisibleIn(field.replace(/\n/g, '')) }).toEqual({
                kind,
                invisible: [],
              });
            for (const field of chat) {
              expect({ kind, field }).not.toEqual({
                kind,
                field: expect.stringMatching(/<[!@#]|<https?:|<mailto:/i),
              });
              expect({ kind, balanced: codeIsBalanced(field) }).toEqual({ kind, balanced: true });
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('shows the policy ARN of an explicit deny, and every resource, only inside code spans', () => {
    // Prepare: a denying policy ARN and a resource that a chat client would link in prose
    const policyArn = 'arn:aws:organizations::999988887777:policy/o-a/service_control_policy/p-evil.example';
    const outcome = outcomeOf(SCP_DENY(policyArn));
    // Act
    const { description } = renderChatbot(outcome).content;
    // Assess
    expect(description).toContain(policyArn);
    expect(outsideCode(description)).not.toMatch(/arn:aws:organizations|evil\.example/);
    expect(outsideCode(description)).not.toMatch(/arn:aws:ecr/);
  });

  it('removes the Arabic letter mark and the Unicode tag characters', () => {
    // Prepare: "approve" spelled in invisible tag characters, and an Arabic letter mark
    const tags = [...'approve'].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) ?? 0))).join('');
    const outcome = outcomeOf(
      `AlgorithmError: a\u061cb\u{e0001}${tags}\u{e007f} ${denial('b/k')}`,
      `job\u061c${tags}`,
    );
    // Act
    const { text, chat } = stringsOf(notificationOf(outcome));
    // Assess
    for (const field of [...text, ...chat]) {
      expect([...field].filter((c) => c === '\u061c' || /[\u{e0000}-\u{e007f}]/u.test(c))).toEqual([]);
    }
    expect(text[0]).toMatch(/^\[untrusted text\] job failed: /);
  });
});

describe('a notification', () => {
  it('is made only by the renderers: a hand-built one does not type-check', () => {
    // Prepare / Act: a notification written by hand, bypassing the message renderers
    // @ts-expect-error -- only notification.ts can make an SnsNotification (it carries a private brand)
    const forged: SnsNotification = {
      subject: '',
      message: '{}',
      attributes: { jobName: '', category: '', fixLocation: '', accountId: '', severity: '' },
    };
    // Assess: the line above compiles only because it is expected to fail (tsc checks the tests)
    expect(forged.subject).toBe('');
  });
});
