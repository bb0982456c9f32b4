/** Retries with exponential backoff and jitter for throttling and 5xx answers, for every SDK client. */
export const CLIENT_RETRY = { maxAttempts: 4, retryMode: 'standard' } as const;

/**
 * The approver answers a chat command, and AWS Chatbot stops waiting after about 15 seconds. Its
 * calls (7 and one per inline policy of the role on the way to an approval) each get one retry and
 * at most 2 seconds per attempt, 1 of them to connect: a stalled call is abandoned within about
 * 5 seconds instead of never (the SDK sets no request timeout of its own), and an approval answers
 * in well under 10. The function's own timeout is longer, so a reply that is late for the chat
 * still ends with the proposal's write recorded and the outcome published to the topic.
 */
export const CHAT_CLIENT = {
  maxAttempts: 2,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
} as const;

/** The configuration of an SDK client: a retry policy, and optionally bounded request times. */
export type ClientConfig = typeof CLIENT_RETRY | typeof CHAT_CLIENT;
