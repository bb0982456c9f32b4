/**
 * Skips anything that is not a failed SageMaker job state change: logged, counted and never thrown,
 * so a stray event can neither crash-loop the function nor fill the dead-letter queue. The count is a
 * CloudWatch Logs metric filter on the `event skipped` line (see the construct), which keeps a metrics
 * client out of the bundle.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { failedJobFromInput, InvalidInputError } from '../core/index.js';

export interface SkippedEvent {
  readonly status: 'skipped';
  readonly reason: string;
}

/** The log message the SkippedEvents metric filter counts. */
export const SKIPPED_EVENT_MESSAGE = 'event skipped';

export function skipUnlessFailedJob(options: { logger: Logger }): MiddlewareObj<unknown, unknown> {
  return {
    before: (request) => {
      try {
        const job = failedJobFromInput(request.event);
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
