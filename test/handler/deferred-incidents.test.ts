/**
 * The incidents the handler wires are loaded on first use (lambdas/remediator/aws/incident-recorder.ts):
 * what the handler passes reaches the store unchanged, the invocation's remaining time included.
 */
import { DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FLUSH_INCIDENTS_EVENT } from '../../lambdas/core/incident.js';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { incidentStoreFrom } from '../../lambdas/remediator/aws/incident-recorder.js';
import { configFromEnv } from '../../lambdas/remediator/config.js';
import { homeClients, lambdaContext } from '../helpers/lambda.js';

const dynamodb = mockClient(DynamoDBClient);

beforeEach(() => {
  dynamodb.reset();
  // Every index shard has one incident due.
  dynamodb.on(QueryCommand).resolves({ Items: [{ id: { S: 'incident#cause' } }] });
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe('the flush through the lazily loaded incident store', () => {
  it("starts no digest with 5 s of the invocation left, under the store's reserve", async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'deferred-incidents', logLevel: 'SILENT' });
    const config = {
      ...configFromEnv({ TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:proposals' }),
      idempotencyTableName: 'records',
    };
    const sns = new SNSClient({});
    const client = () => Promise.resolve(new DynamoDBClient({}));
    const handler = buildHandler(
      {
        sns,
        dynamodb: client,
        accountAccess: homeClients(),
        config,
        logger,
        incidents: incidentStoreFrom(config, { dynamodb: client, sns, logger }),
      },
      logger,
    );
    // Act
    const result = await handler(FLUSH_INCIDENTS_EVENT, {
      ...lambdaContext(),
      getRemainingTimeInMillis: () => 5_000,
    });
    // Assess: every due incident is left for the next flush, and none was touched.
    expect(result).toMatchObject({ status: 'flushed', digests: 0 });
    expect((result as { deferred: number }).deferred).toBeGreaterThan(0);
    expect(dynamodb.commandCalls(UpdateItemCommand)).toEqual([]);
  });
});
