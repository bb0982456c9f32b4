/**
 * The Lambda entry point. SDK clients are created once per container; their endpoints follow the
 * standard AWS_ENDPOINT_URL* variables, so the same code runs against a local AWS-protocol server.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { buildHandler } from './app.js';
import { homeAccountAccess, memberAccountAccess } from './aws/accounts.js';
import { incidentStoreFrom } from './aws/incidents.js';
import { CLIENT_RETRY } from './aws/retry.js';
import { configFromEnv } from './config.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.js';

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const config = configFromEnv();
const home = { sagemaker: new SageMakerClient(CLIENT_RETRY), iam: new IAMClient(CLIENT_RETRY) };
// Unknown, the home clients act for no job: never for another account's job by a name looked up here.
const environment = config.home ?? { accountId: '', region: '' };
const sns = new SNSClient(CLIENT_RETRY);
const dynamodb = new DynamoDBClient(CLIENT_RETRY);

export const handler = buildHandler(
  {
    ...home,
    homeIam: home.iam,
    sns,
    dynamodb,
    accountAccess: config.central
      ? memberAccountAccess({
          ...config.central,
          homeRegion: environment.region,
          sts: new STSClient(CLIENT_RETRY),
          home,
        })
      : homeAccountAccess(environment, home),
    config,
    logger,
    incidents: incidentStoreFrom(config, { dynamodb, sns, logger }),
  },
  logger,
  metrics,
);
