/** Middy wiring around {@link remediate}: logging, event validation, idempotency. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { isFlushIncidentsEvent } from '../core/incident.js';
import type { SelftestEvent } from '../core/selftest.js';
import { isSelftestEvent, SELFTEST_KEY } from '../core/selftest.js';
import { countRemediations } from './metrics.js';
import { deferredMiddleware, skipUnlessFailedJob } from './middleware.js';
import type { Dependencies } from './remediate.js';
import { remediate } from './remediate.js';

/**
 * The function's handler: failed-job events; the scheduled flush of due incidents, which goes around
 * event validation and idempotency (every flush is a new one); and the
 * post-deploy self-test, which diagnoses its sample and publishes it marked as a test, writing
 * nothing: no fix, no stored proposal, no idempotency or incident record. `metrics` counts each
 * processed failure (tests may leave it out).
 */
export function buildHandler(deps: Dependencies, logger: Logger, metrics?: Metrics) {
  const failures = failureHandler(deps, logger, metrics);
  const { incidents } = deps;
  const scheduled = (body: (_event: unknown, context: Context) => Promise<unknown>) =>
    middy(body).use(injectLambdaContext(logger, { resetKeys: true }));
  const flush = incidents
    ? scheduled(async (_event, context) => incidents.flushDue(() => context.getRemainingTimeInMillis()))
    : undefined;
  const selftestDeps: Dependencies = {
    ...deps,
    incidents: undefined,
    config: {
      ...deps.config,
      selftest: true,
      dryRun: true,
      autoRemediate: false,
      idempotencyTableName: undefined,
      proposalsTableName: undefined,
    },
  };
  const selftest = middy(async (event: SelftestEvent) =>
    remediate(event[SELFTEST_KEY].sample, selftestDeps),
  ).use(injectLambdaContext(logger, { resetKeys: true }));
  return (event: unknown, context: Context) => {
    if (flush && isFlushIncidentsEvent(event)) return flush(event, context);
    if (isSelftestEvent(event)) return selftest(event, context);
    return failures(event, context);
  };
}

function failureHandler(deps: Dependencies, logger: Logger, metrics?: Metrics) {
  const handler = middy(async (event: unknown) => remediate(event, deps))
    .use(injectLambdaContext(logger, { correlationIdPath: 'id', resetKeys: true }))
    .use(skipUnlessFailedJob({ logger, requireEventAccount: deps.config.central !== undefined }));
  if (metrics) handler.use(countRemediations(metrics));
  const tableName = deps.config.idempotencyTableName;
  if (!tableName) return handler;
  return handler.use(
    deferredMiddleware(async () =>
      (await import('./idempotency.js')).idempotency(tableName, await deps.dynamodb?.()),
    ),
  );
}
