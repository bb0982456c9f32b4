/**
 * Entry point of the approval Lambda that the AWS Chatbot custom action invokes with
 * `{"proposalId": "..."}`. Clients are created once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { CLIENT_RETRY } from '../remediator/aws/retry.js';
import { approve } from './approve.js';

const logger = new Logger({ serviceName: 'sagemaker-iam-remediator-approver' });
const { PROPOSALS_TABLE_NAME: proposalsTableName, TOPIC_ARN: topicArn } = process.env;
if (!proposalsTableName || !topicArn) throw new Error('PROPOSALS_TABLE_NAME and TOPIC_ARN must be set');

const deps = {
  iam: new IAMClient(CLIENT_RETRY),
  sns: new SNSClient(CLIENT_RETRY),
  dynamodb: new DynamoDBClient(CLIENT_RETRY),
  config: { proposalsTableName, topicArn },
  logger,
};

export const handler = middy(async (event: unknown) => approve(event, deps)).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
