/**
 * The AWS side of an integration test, created on the real server: the execution role, the topic
 * with an SQS subscription, the idempotency table, and the handler with real SDK clients.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { WAITING_INCIDENTS_INDEX } from '../../lambdas/core/incident.js';
import type { Tag } from '@aws-sdk/client-iam';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { CLIENT_RETRY } from '../../lambdas/remediator/aws/retry.js';
import type { RemediatorConfig } from '../../lambdas/remediator/config.js';
import type { Dependencies } from '../../lambdas/remediator/remediate.js';
import { readEvent } from '../helpers/fixtures.js';
import { lambdaContext } from '../helpers/lambda.js';
import { MOTO_ACCOUNT, MOTO_HOME } from './moto.js';
import { homeAccountAccess } from '../../lambdas/remediator/aws/accounts.js';

export const ROLE_NAME = 'SageMakerExecRole';
export const ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/${ROLE_NAME}`;

/** The user the enforced-IAM test acts as. */
export const ADMIN_USER = 'remediator-admin';

/**
 * SageMaker assumes the role; the AWS principals let tests assume it too. With enforcement on, moto
 * needs an AWS principal in every statement that names one, and matches the caller's ARN exactly.
 */
export const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: {
        Service: 'sagemaker.amazonaws.com',
        AWS: [`arn:aws:iam::${MOTO_ACCOUNT}:root`, `arn:aws:iam::${MOTO_ACCOUNT}:user/${ADMIN_USER}`],
      },
      Action: 'sts:AssumeRole',
    },
  ],
});

/** A sample event moved into moto's account. */
export const motoEvent = (file: string, account = MOTO_ACCOUNT): Record<string, unknown> =>
  JSON.parse(JSON.stringify(readEvent(file)).replaceAll('111122223333', account)) as Record<string, unknown>;

export interface Delivered {
  readonly subject: string;
  readonly attributes: Record<string, string>;
  /** The `sqs` rendering: the JSON outcome, the plain text and the AWS Chatbot notification. */
  readonly message: {
    outcome: Record<string, unknown>;
    text: string;
    chatbot: Record<string, unknown>;
    category: string;
  };
}

export class World {
  public readonly iam = new IAMClient(CLIENT_RETRY);
  public readonly sns = new SNSClient(CLIENT_RETRY);
  public readonly sqs = new SQSClient({});
  public readonly sagemaker = new SageMakerClient(CLIENT_RETRY);
  public readonly dynamodb = new DynamoDBClient(CLIENT_RETRY);
  public topicArn = '';
  public queueUrl = '';
  public readonly tableName = 'remediator-idempotency';
  public readonly proposalsTableName = 'remediator-proposals';
  /** The records of why each write happened, as the stack's GrantRecordsTable. */
  public readonly grantsTableName = 'remediator-grant-records';

  public async create(options: { roleTags?: Tag[] } = {}): Promise<this> {
    await this.iam.send(
      new CreateRoleCommand({
        RoleName: ROLE_NAME,
        AssumeRolePolicyDocument: TRUST_POLICY,
        Tags: options.roleTags,
      }),
    );
    this.topicArn = (await this.sns.send(new CreateTopicCommand({ Name: 'proposals' }))).TopicArn ?? '';
    this.queueUrl =
      (
        await this.sqs.send(
          // Messages are read and never deleted: the longest visibility timeout keeps a slow reading
          // of many pages from receiving one message twice.
          new CreateQueueCommand({
            QueueName: 'proposals-inbox',
            Attributes: { VisibilityTimeout: '43200' },
          }),
        )
      ).QueueUrl ?? '';
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await this.sns.send(
      new SubscribeCommand({ TopicArn: this.topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
    );
    const { indexName, partitionKey, sortKey } = WAITING_INCIDENTS_INDEX;
    // The idempotency table as the stack makes it, with the index of incidents waiting for a digest.
    await this.dynamodb.send(
      new CreateTableCommand({
        TableName: this.tableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: partitionKey, AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: indexName,
            KeySchema: [
              { AttributeName: partitionKey, KeyType: 'HASH' },
              { AttributeName: sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (const TableName of [this.proposalsTableName, this.grantsTableName])
      await this.dynamodb.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    return this;
  }

  public config(overrides: Partial<RemediatorConfig> = {}): RemediatorConfig {
    return {
      topicArn: this.topicArn,
      notifyNonPermission: false,
      dryRun: false,
      autoRemediate: false,
      allowedAccounts: [],
      roleNamePatterns: [],
      idempotencyTableName: this.tableName,
      grantTtlDays: 30,
      removeUnusedGrants: false,
      ...overrides,
    };
  }

  /** The real Middy handler with real SDK clients against the server. */
  public handler(
    overrides: Partial<RemediatorConfig> = {},
    clients: { readonly iam?: IAMClient; readonly sns?: Dependencies['sns'] } = {},
    accountAccess?: Dependencies['accountAccess'],
  ) {
    const logger = new Logger({ serviceName: 'integration', logLevel: 'SILENT' });
    const deps: Dependencies = {
      sns: clients.sns ?? this.sns,
      dynamodb: () => Promise.resolve(this.dynamodb),
      accountAccess:
        accountAccess ??
        homeAccountAccess(MOTO_HOME, { sagemaker: this.sagemaker, iam: clients.iam ?? this.iam }),
      config: this.config(overrides),
      logger,
    };
    const handler = buildHandler(deps, logger);
    return (event: unknown) => handler(event, lambdaContext());
  }

  /** Every message delivered to the queue so far (moto delivers SNS to SQS synchronously). */
  public async delivered(): Promise<Delivered[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return Messages.map((m) => {
      const envelope = JSON.parse(m.Body ?? '{}') as {
        Subject: string;
        Message: string;
        MessageAttributes: Record<string, { Value: string }>;
      };
      return {
        subject: envelope.Subject,
        attributes: Object.fromEntries(
          Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
        message: JSON.parse(envelope.Message) as Delivered['message'],
      };
    });
  }

  /** The role's inline policies as the server returns them (GetRolePolicy is URL-encoded, as in AWS). */
  public async inlinePolicies(iam: IAMClient = this.iam): Promise<Record<string, unknown>> {
    const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME }));
    const entries = await Promise.all(
      PolicyNames.map(async (name) => {
        const { PolicyDocument = '' } = await iam.send(
          new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: name }),
        );
        return [name, JSON.parse(decodeURIComponent(PolicyDocument))] as const;
      }),
    );
    return Object.fromEntries(entries);
  }
}
