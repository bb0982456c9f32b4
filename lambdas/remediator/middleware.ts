/**
 * Skips anything that is not a failed SageMaker job state change: logged and counted, never thrown,
 * so a stray event can neither crash-loop the function nor fill the dead-letter queue.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { failedJobFromInput, InvalidInputError } from '../core/index.js';

export interface SkippedEvent {
  readonly status: 'skipped';
  readonly reason: string;
}

export const SKIPPED_EVENTS_METRIC = 'SkippedEvents';

export function skipUnlessFailedJob(options: {
  logger: Logger;
  metrics: Metrics;
}): MiddlewareObj<unknown, unknown> {
  return {
    before: (request) => {
      try {
        const job = failedJobFromInput(request.event);
        options.logger.appendKeys({ jobName: job.jobName, jobType: job.jobType });
        return undefined;
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        options.logger.warn('event skipped', { reason: error.message });
        options.metrics.addMetric(SKIPPED_EVENTS_METRIC, MetricUnit.Count, 1);
        // A returned value ends the request early in Middy.
        return { status: 'skipped', reason: error.message } satisfies SkippedEvent;
      }
    },
  };
}
