/** A minimal Lambda context for invoking the Middy handler in-process. */
import type { Context } from 'aws-lambda';

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
