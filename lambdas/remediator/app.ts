/** Middy wiring around {@link remediate}: logging, event validation, idempotency. */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { IDEMPOTENCY_KEY_PATH } from '../core/job-types.js';
import { skipUnlessFailedJob } from './middleware.js';
import type { Dependencies } from './remediate.js';
import { remediate } from './remediate.js';

export const SERVICE_NAME = 'sagemaker-iam-remediator';

export function buildHandler(deps: Dependencies, logger: Logger) {
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
      // SageMaker may send one state change several times: see IDEMPOTENCY_KEY_PATH for what one failure is.
      config: new IdempotencyConfig({
        eventKeyJmesPath: IDEMPOTENCY_KEY_PATH,
        expiresAfterSeconds: 24 * 60 * 60,
      }),
    }),
  );
}
