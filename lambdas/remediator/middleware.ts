/**
 * Skips anything that is not a failed SageMaker job of the event's own account: logged, counted and
 * never thrown, so a stray event can neither crash-loop the function nor fill the dead-letter queue.
 * The count is a CloudWatch Logs metric filter on the `event skipped` line (see the construct), which
 * keeps a metrics client out of the bundle.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { JobContext } from '../core/index.js';
import { failedJobFromInput, InvalidInputError } from '../core/index.js';
import { lazy } from './lazy.js';

export interface SkippedEvent {
  readonly status: 'skipped';
  readonly reason: string;
}

/** The log message the SkippedEvents metric filter counts. */
export const SKIPPED_EVENT_MESSAGE = 'event skipped';

/** The account EventBridge stamped on the event: the account the event came from. */
const eventAccountOf = (event: unknown): string | undefined => {
  const account =
    typeof event === 'object' && event !== null ? (event as { account?: unknown }).account : undefined;
  return typeof account === 'string' ? account : undefined;
};

/**
 * A job is acted on in the account its event came from, and only there: a job ARN of another
 * account is skipped. In central mode, events from several accounts arrive, so an event must name
 * its account.
 */
function checkAccount(event: unknown, job: JobContext, requireEventAccount: boolean): void {
  const eventAccount = eventAccountOf(event);
  if (eventAccount === undefined) {
    if (requireEventAccount)
      throw new InvalidInputError('the event names no account: central mode acts on none');
    return;
  }
  if (job.accountId !== eventAccount) {
    throw new InvalidInputError(
      `the job ${job.jobArn ?? job.jobName ?? ''} is in account ${job.accountId ?? 'unknown'}, but the event came from account ${eventAccount}`,
    );
  }
}

export function skipUnlessFailedJob(options: {
  logger: Logger;
  /** Central mode: skip events that name no account. @default false */
  requireEventAccount?: boolean;
}): MiddlewareObj<unknown, unknown> {
  return {
    before: (request) => {
      try {
        const job = failedJobFromInput(request.event);
        checkAccount(request.event, job, options.requireEventAccount ?? false);
        options.logger.appendKeys({ jobName: job.jobName, jobType: job.jobType });
        return undefined;
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        options.logger.warn(SKIPPED_EVENT_MESSAGE, { reason: error.message });
        // A returned value ends the request early in Middy.
        return { status: 'skipped', reason: error.message } satisfies SkippedEvent;
      }
    },
  };
}

/**
 * A middleware whose module is loaded by the first request that reaches it, not at cold start. Every
 * hook waits for it and then runs its hook exactly as if it had been used directly: a value its
 * `before` returns still ends the request early.
 */
export function deferredMiddleware(
  load: () => Promise<MiddlewareObj<unknown, unknown>>,
): MiddlewareObj<unknown, unknown> {
  const middleware = lazy(load);
  return {
    before: async (request) => (await middleware()).before?.(request),
    after: async (request) => (await middleware()).after?.(request),
    onError: async (request) => (await middleware()).onError?.(request),
  };
}
