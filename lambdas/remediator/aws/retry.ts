/** Retries with exponential backoff and jitter for throttling and 5xx answers, for every SDK client. */
export const CLIENT_RETRY = { maxAttempts: 4, retryMode: 'standard' } as const;
