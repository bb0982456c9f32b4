/**
 * The post-deploy self-test's input to the deployed function, and how its one message is marked.
 * `sagemaker-iam-remediator selftest` invokes the function with {@link selftestEventOf}: the function
 * diagnoses the sample failure and publishes its message marked as a test, and writes nothing (no
 * fix, no stored proposal, no idempotency or incident record).
 */
import type { SnsNotification } from './notification.js';

/** The key that marks an invocation as a self-test; its value is the sample failure event. */
export const SELFTEST_KEY = 'sagemakerIamRemediatorSelftest';

export interface SelftestEvent {
  readonly [SELFTEST_KEY]: { readonly sample: unknown };
}

export const selftestEventOf = (sample: unknown): SelftestEvent => ({ [SELFTEST_KEY]: { sample } });

export const isSelftestEvent = (event: unknown): event is SelftestEvent =>
  typeof event === 'object' &&
  event !== null &&
  typeof (event as Record<string, unknown>)[SELFTEST_KEY] === 'object' &&
  (event as Record<string, unknown>)[SELFTEST_KEY] !== null;

/** What every rendering of a self-test message starts with. */
export const SELFTEST_PREFIX = '[self-test]';
const NOTE = `${SELFTEST_PREFIX} sagemaker-iam-remediator selftest sent this sample; nothing was changed.`;
/** SNS subjects are at most 100 characters. */
const SUBJECT_LIMIT = 100;

/** The notification marked as a test in each rendering: subject, text, chat title and JSON. */
export function markedAsTest(notification: SnsNotification): SnsNotification {
  const renderings = JSON.parse(notification.message) as Record<
    'default' | 'email' | 'https' | 'sqs',
    string
  >;
  const chatbot = JSON.parse(renderings.https) as { content?: { title?: string } };
  const machineReadable = JSON.parse(renderings.sqs) as Record<string, unknown>;
  return {
    ...notification,
    subject: `${SELFTEST_PREFIX} ${notification.subject}`.slice(0, SUBJECT_LIMIT),
    message: JSON.stringify({
      default: `${NOTE}\n${renderings.default}`,
      email: `${NOTE}\n${renderings.email}`,
      https: JSON.stringify({
        ...chatbot,
        content: { ...chatbot.content, title: `${SELFTEST_PREFIX} ${chatbot.content?.title ?? ''}` },
      }),
      sqs: JSON.stringify({ ...machineReadable, selftest: true }),
    }),
  };
}
