/**
 * The Lambda entry point. SDK clients are created once per container; their endpoints follow the
 * standard AWS_ENDPOINT_URL* variables, so the same code runs against a local AWS-protocol server.
 *
 * A cold start loads what every event needs: the core, the logger, metrics and SNS. The rest is loaded
 * by the first event that needs it: the account's SageMaker and IAM clients (and STS in central
 * mode) by the first failure, DynamoDB by the first idempotency check, incident or stored proposal.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { buildHandler } from './app.js';
import { incidentStoreFrom } from './aws/incident-recorder.js';
import { CLIENT_RETRY } from './aws/retry.js';
import { configFromEnv } from './config.js';
import { lazy } from './lazy.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.js';

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const config = configFromEnv();
const sns = new SNSClient(CLIENT_RETRY);
const dynamodb = lazy(
  async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(CLIENT_RETRY),
);
// Unknown, the home clients act for no job: never for another account's job by a name looked up here.
const accountAccess = lazy(async () =>
  (await import('./aws/accounts.js')).accountAccessOf(
    config.home ?? { accountId: '', region: '' },
    config.central,
    CLIENT_RETRY,
  ),
);

export const handler = buildHandler(
  {
    sns,
    dynamodb,
    accountAccess: async (job) => (await accountAccess())(job),
    config,
    logger,
    incidents: incidentStoreFrom(config, { dynamodb, sns, logger }),
  },
  logger,
  metrics,
);
