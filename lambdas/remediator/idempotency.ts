/**
 * Duplicate-event suppression: SageMaker may send one state change several times. Its Powertools
 * layer and DynamoDB client are a chunk the first failure event loads (see app.ts), not cold start.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj } from '@middy/core';
import { IDEMPOTENCY_KEY_PATH } from '../core/job-types.js';

/** Without a client, Powertools makes its own. */
export function idempotency(tableName: string, client: DynamoDBClient | undefined): MiddlewareObj {
  return makeHandlerIdempotent({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
    // See IDEMPOTENCY_KEY_PATH for what one failure is.
    config: new IdempotencyConfig({
      eventKeyJmesPath: IDEMPOTENCY_KEY_PATH,
      expiresAfterSeconds: 24 * 60 * 60,
    }),
  });
}
