/**
 * The Lambda entry of the daily grant cleanup. It acts in its own account only, with clients created
 * once per container; their endpoints follow the standard AWS_ENDPOINT_URL* variables.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CLIENT_RETRY } from '../remediator/aws/retry.js';
import { buildCleanupHandler } from '../remediator/cleanup.js';
import { configFromEnv } from '../remediator/config.js';
import { CLEANUP_SERVICE_NAME, METRICS_NAMESPACE, SERVICE_NAME } from '../remediator/metric-names.js';

const logger = new Logger({ serviceName: CLEANUP_SERVICE_NAME });
// The remediator's service name, so the dashboard finds the grant counts beside the others.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const dynamodb = new DynamoDBClient(CLIENT_RETRY);

export const handler = buildCleanupHandler(
  new IAMClient(CLIENT_RETRY),
  {
    sns: new SNSClient(CLIENT_RETRY),
    // Every run marks the records: made with the function, not on first use.
    dynamodb: () => Promise.resolve(dynamodb),
    config: configFromEnv(),
    logger,
  },
  logger,
  metrics,
);
