/**
 * Every row of the job-type table, end to end: its failure event is caught by the stack's rule for
 * it (and by no other), two jobs of the type get distinct idempotency keys, the describer reads the
 * job with the row's calls, and the diagnosis proposes a policy on the job's own resources.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeModelCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobType } from '../../lambdas/core/job-types.js';
import { JOB_TYPE_NAMES, JOB_TYPES, jobArnOf } from '../../lambdas/core/job-types.js';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { configFromEnv } from '../../lambdas/remediator/config.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import { homeClients, lambdaContext } from '../helpers/lambda.js';
import { matchesPattern, rulePatterns } from '../support/event-pattern.js';

const sagemaker = mockClient(SageMakerClient);
const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const dynamodb = mockClient(DynamoDBClient);

const ENV = { partition: 'aws', region: 'us-east-1', account: '111122223333' };
const ROLE_ARN = `arn:aws:iam::${ENV.account}:role/SageMakerExecRole`;
const INPUT = 's3://rows-bucket/data/train';
const DENIED_OBJECT = 'arn:aws:s3:::rows-bucket/data/train/part-0.csv';
const REASON =
  `ClientError: User: arn:aws:sts::${ENV.account}:assumed-role/SageMakerExecRole/SageMaker is not authorized ` +
  `to perform: s3:GetObject on resource: ${DENIED_OBJECT} because no identity-based policy allows the s3:GetObject action`;

/** What each type's Describe call answers (for an endpoint: its config and model, the further reads). */
const CONFIGURATION: Record<JobType, Record<string, unknown>> = {
  training: {
    RoleArn: ROLE_ARN,
    AlgorithmSpecification: { TrainingImage: `${ENV.account}.dkr.ecr.us-east-1.amazonaws.com/trainer:1` },
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: INPUT } } }],
  },
  processing: {
    RoleArn: ROLE_ARN,
    AppSpecification: { ImageUri: `${ENV.account}.dkr.ecr.us-east-1.amazonaws.com/processor:1` },
    ProcessingInputs: [{ InputName: 'train', S3Input: { S3Uri: INPUT } }],
  },
  transform: {
    TransformInput: { DataSource: { S3DataSource: { S3Uri: INPUT } } },
    TransformOutput: { S3OutputPath: 's3://rows-bucket/out' },
  },
  tuning: {
    TrainingJobDefinition: {
      RoleArn: ROLE_ARN,
      AlgorithmSpecification: { TrainingImage: `${ENV.account}.dkr.ecr.us-east-1.amazonaws.com/trainer:1` },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: INPUT } } }],
    },
  },
  endpoint: { EndpointConfigName: 'rows-config' },
};

const DESCRIBE_COMMANDS = {
  training: DescribeTrainingJobCommand,
  processing: DescribeProcessingJobCommand,
  transform: DescribeTransformJobCommand,
  tuning: DescribeHyperParameterTuningJobCommand,
  endpoint: DescribeEndpointCommand,
} as const;

/** A state change that names the job and its status only: the describer must read the rest. */
const thinEvent = (type: JobType, name: string) => {
  const row = JOB_TYPES[type];
  return {
    version: '0',
    id: `event-${name}`,
    source: 'aws.sagemaker',
    'detail-type': row.detailType,
    account: ENV.account,
    region: ENV.region,
    detail: {
      [row.nameField]: name,
      [row.arnField]: jobArnOf(type, ENV, name),
      [row.statusField]: row.failedStatus,
    },
  };
};

const describedAs = (type: JobType, name: string) => {
  const row = JOB_TYPES[type];
  return {
    [row.nameField]: name,
    [row.arnField]: jobArnOf(type, ENV, name),
    // Describe answers spell the status Failed, whatever the state change says.
    [row.statusField]: 'Failed',
    FailureReason: REASON,
    ...CONFIGURATION[type],
  };
};

const patterns = rulePatterns(
  Template.fromStack(
    new RemediatorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Rows', {
      env: { account: ENV.account, region: ENV.region },
      remediator: { jobTypes: JOB_TYPE_NAMES, watchApiDenials: true },
    }),
  ).findResources('AWS::Events::Rule'),
);

function handler() {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const config = {
    ...configFromEnv({ TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:proposals' }),
    idempotencyTableName: 'idempotency',
  };
  const deps = {
    accountAccess: homeClients(),
    sns: new SNSClient({}),
    dynamodb: new DynamoDBClient({}),
    config,
    logger,
  };
  const built = buildHandler(deps, logger);
  return (event: unknown) => built(event, lambdaContext());
}

beforeEach(() => {
  for (const client of [sagemaker, iam, sns, dynamodb]) client.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  iam.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [] });
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe('every row of the job-type table', () => {
  it.each(JOB_TYPE_NAMES)('%s: rule match, distinct key per job, describe, proposal', async (type) => {
    // Prepare
    const jobs = [`${type}-job-a`, `${type}-job-b`];
    // One stub shape for the five Describe commands (their inputs differ only in the name field).
    const describeCommand = DESCRIBE_COMMANDS[type] as unknown as typeof DescribeTrainingJobCommand;
    for (const name of jobs)
      sagemaker
        .on(describeCommand, { [JOB_TYPES[type].nameField]: name })
        .resolves(describedAs(type, name) as never);
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'rows-config' }).resolves({
      ProductionVariants: [{ VariantName: 'v1', ModelName: 'rows-model' }],
    });
    sagemaker.on(DescribeModelCommand, { ModelName: 'rows-model' }).resolves({
      ExecutionRoleArn: ROLE_ARN,
      PrimaryContainer: { Image: 'image', ModelDataUrl: INPUT },
    });
    const events = jobs.map((name) => thinEvent(type, name));
    const run = handler();

    // Act
    const matching = events.map((event) =>
      Object.entries(patterns)
        .filter(([, pattern]) => matchesPattern(pattern, event))
        .map(([id]) => id),
    );
    const results = [];
    for (const event of events) results.push(await run(event));

    // Assess: exactly the row's rule catches each event.
    for (const ids of matching) {
      expect(ids).toHaveLength(1);
      expect(ids[0]?.toLowerCase()).toContain(type);
    }
    // Two jobs, two idempotency records.
    const keys = dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item?.id?.S);
    expect(new Set(keys).size).toBe(2);
    // The describer used the row's calls, by the row's name field.
    const described = sagemaker
      .commandCalls(describeCommand)
      .map((call) => (call.args[0].input as unknown as Record<string, unknown>)[JOB_TYPES[type].nameField]);
    expect(described).toEqual(jobs);
    // Each job got its proposal on its own bucket.
    expect(results).toEqual([
      expect.objectContaining({ status: 'proposed', jobName: jobs[0] }),
      expect.objectContaining({ status: 'proposed', jobName: jobs[1] }),
    ]);
    const policies = sns
      .commandCalls(PublishCommand)
      .map((call) => JSON.parse(JSON.parse(call.args[0].input.Message ?? '{}').sqs).outcome.policy);
    expect(policies).toHaveLength(2);
    for (const policy of policies)
      expect(
        (policy as { Statement: { Action: string[]; Resource: string[] }[] }).Statement.flatMap((s) =>
          s.Action.includes('s3:GetObject') ? s.Resource : [],
        ),
      ).toContain('arn:aws:s3:::rows-bucket/data/train/*');
  });
});
