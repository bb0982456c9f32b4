/** Middy wiring around {@link remediate}: logging, event validation, idempotency. */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { isFlushIncidentsEvent } from '../core/incident.js';
import { skipUnlessFailedJob } from './middleware.js';
import type { Dependencies } from './remediate.js';
import { remediate } from './remediate.js';

export const SERVICE_NAME = 'sagemaker-iam-remediator';

/**
 * SageMaker may send one state change several times: the job ARN and its reason identify a
 * failure, whichever job type it is. A denied Create*Job call has no job: its CloudTrail event id
 * and error message identify it.
 */
export const IDEMPOTENCY_KEY_PATH =
  '[detail.TrainingJobArn || detail.ProcessingJobArn || detail.TransformJobArn || detail.eventID, ' +
  'detail.FailureReason || detail.errorMessage]';

/**
 * The function's handler: failed-job events, and the scheduled flush of due incidents, which goes
 * around event validation and idempotency (every flush is a new one).
 */
export function buildHandler(deps: Dependencies, logger: Logger) {
  const failures = failureHandler(deps, logger);
  const { incidents } = deps;
  if (!incidents) return failures;
  const flush = middy(async () => incidents.flushDue()).use(injectLambdaContext(logger, { resetKeys: true }));
  return (event: unknown, context: Context) =>
    isFlushIncidentsEvent(event) ? flush(event, context) : failures(event, context);
}

function failureHandler(deps: Dependencies, logger: Logger) {
  const handler = middy(async (event: unknown) => remediate(event, deps))
    .use(injectLambdaContext(logger, { correlationIdPath: 'id', resetKeys: true }))
    .use(skipUnlessFailedJob({ logger }));
  if (!deps.config.idempotencyTableName) return handler;
  return handler.use(
    makeHandlerIdempotent({
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: deps.config.idempotencyTableName,
        awsSdkV3Client: deps.dynamodb,
      }),
      config: new IdempotencyConfig({
        eventKeyJmesPath: IDEMPOTENCY_KEY_PATH,
        expiresAfterSeconds: 24 * 60 * 60,
      }),
    }),
  );
}
