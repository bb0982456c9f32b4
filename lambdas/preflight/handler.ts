/** The pre-flight Lambda entry point: clients once per container, endpoints from AWS_ENDPOINT_URL*. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { parseArn } from '../core/job-context.js';
import { CLIENT_RETRY } from '../remediator/aws/retry.js';
import { preflightConfigFromEnv, preflightOnSubmission } from './on-submission.js';

const logger = new Logger({ serviceName: 'sagemaker-iam-remediator-preflight' });
const deps = {
  iam: new IAMClient(CLIENT_RETRY),
  ecr: new ECRClient(CLIENT_RETRY),
  s3: new S3Client(CLIENT_RETRY),
  sagemaker: new SageMakerClient(CLIENT_RETRY),
  sns: new SNSClient(CLIENT_RETRY),
  config: preflightConfigFromEnv(),
  logger,
};

/** The function's own account and region, from its ARN: the only ones its clients act in. */
export const handler = (event: unknown, context: Context) => {
  const arn = parseArn(context.invokedFunctionArn);
  return preflightOnSubmission(event, {
    ...deps,
    home: { accountId: arn?.accountId ?? '', region: arn?.region ?? '' },
  });
};
