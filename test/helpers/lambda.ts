/** A minimal Lambda context for invoking the Middy handler in-process, and the clients it acts with. */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import type { HomeEnvironment } from '../../lambdas/remediator/config.js';
import { homeAccountAccess } from '../../lambdas/remediator/aws/accounts.js';

/** The account and region of the sample events, and of the function in {@link lambdaContext}. */
export const SAMPLE_HOME: HomeEnvironment = { accountId: '111122223333', region: 'us-east-1' };

/** The function's own clients in `home`, as the handler wires them outside central mode. */
export const homeClients = (
  home: HomeEnvironment = SAMPLE_HOME,
  clients = { sagemaker: new SageMakerClient({}), iam: new IAMClient({}) },
) => homeAccountAccess(home, clients);

export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'sagemaker-iam-remediator',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:sagemaker-iam-remediator',
  memoryLimitInMB: '512',
  awsRequestId: `request-${Math.random().toString(16).slice(2)}`,
  logGroupName: '/aws/lambda/sagemaker-iam-remediator',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
