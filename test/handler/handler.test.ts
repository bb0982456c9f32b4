import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildHandler } from '../../lambdas/remediator/app.js';
import type { RemediatorConfig } from '../../lambdas/remediator/config.js';
import { configFromEnv } from '../../lambdas/remediator/config.js';
import { readEvent } from '../helpers/fixtures.js';
import { homeClients, lambdaContext } from '../helpers/lambda.js';

// Unit tests stub the SDK clients; test/integration runs the same handler against a real server.
const sagemaker = mockClient(SageMakerClient);
const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:proposals';

function handlerWith(overrides: Partial<RemediatorConfig> = {}) {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const config = { ...configFromEnv({ TOPIC_ARN }), ...overrides };
  const handler = buildHandler(
    { accountAccess: homeClients(), sns: new SNSClient({}), config, logger },
    logger,
  );
  return (event: unknown) => handler(event, lambdaContext());
}

const publishedMessage = () => {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  return {
    input,
    body: JSON.parse(input?.Message ?? '{}') as Record<string, string>,
    attributes: Object.fromEntries(
      Object.entries(input?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
    ),
  };
};

beforeEach(() => {
  sagemaker.reset();
  iam.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  iam.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [] });
});

describe('handler', () => {
  it('publishes a verified proposal with filterable attributes for a permission failure', async () => {
    // Act
    const result = await handlerWith()(readEvent('training-s3-output-access-denied.json'));
    // Assess
    expect(result).toMatchObject({ status: 'proposed', messageId: 'message-1', verification: 'verified' });
    const { input, body, attributes } = publishedMessage();
    expect(input).toMatchObject({ TopicArn: TOPIC_ARN, MessageStructure: 'json' });
    expect(attributes).toEqual({
      jobName: 'xgb-churn-2026-11-20-09-02-11-417',
      category: 'permission-proposal',
      fixLocation: 'unknown',
      accountId: '111122223333',
      severity: 'medium',
    });
    expect(body.default).toContain('aws iam put-role-policy');
    expect(body.email).toBe(body.default);
    expect(JSON.parse(body.https ?? '{}')).toMatchObject({ version: '1.0', source: 'custom' });
    expect(JSON.parse(body.sqs ?? '{}').outcome.policy.Statement[0].Action).toEqual([
      's3:AbortMultipartUpload',
      's3:PutObject',
    ]);
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)[0]?.args[0].input).toMatchObject({
      PolicySourceArn: 'arn:aws:iam::111122223333:role/SageMakerExecRole',
      ActionNames: ['s3:AbortMultipartUpload', 's3:PutObject'],
      ResourceArns: ['arn:aws:s3:::my-output-bucket/model_artifacts/*'],
    });
    expect(sagemaker.calls()).toHaveLength(0);
  });

  it('drops what the role already allows, and says where the block is when that is everything', async () => {
    iam.on(SimulatePrincipalPolicyCommand).resolves({
      EvaluationResults: ['s3:AbortMultipartUpload', 's3:PutObject'].map((action) => ({
        EvalActionName: action,
        EvalResourceName: 'arn:aws:s3:::my-output-bucket/model_artifacts/*',
        EvalDecision: 'allowed',
      })),
    });
    await handlerWith()(readEvent('training-s3-output-access-denied.json'));
    const { body, attributes } = publishedMessage();
    expect(attributes.category).toBe('blocked-elsewhere');
    expect(JSON.parse(body.sqs ?? '{}').outcome.policy).toBeUndefined();
    expect(body.default).toContain('already allow every proposed action');
  });

  it('degrades to an unverified proposal when SimulatePrincipalPolicy fails', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .rejects(Object.assign(new Error('not implemented'), { name: 'InternalFailure' }));
    const result = await handlerWith()(readEvent('training-kms-output-denied.json'));
    expect(result).toMatchObject({ status: 'proposed', verification: 'unverified' });
    expect(publishedMessage().body.default).toContain('Unverified');
  });

  it('sends advice, not a policy, for an explicit deny in an SCP', async () => {
    await handlerWith()(readEvent('training-scp-explicit-deny.json'));
    const { body, attributes } = publishedMessage();
    expect(attributes).toMatchObject({ fixLocation: 'scp', category: 'blocked-elsewhere', severity: 'high' });
    expect(body.default).toContain('adding an Allow to the role will not help');
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand)).toHaveLength(0);
  });

  it('stays silent for a failure that is not a permission problem', async () => {
    const result = await handlerWith()(readEvent('training-not-permission-oom.json'));
    expect(result).toEqual({
      status: 'not-permission',
      jobName: 'xgb-churn-2026-11-20-09-02-11-417',
      messageId: null,
      jobType: 'training',
      category: 'out-of-memory',
    });
    expect(sns.calls()).toHaveLength(0);
  });

  it('sends a short note for it when asked to', async () => {
    await handlerWith({ notifyNonPermission: true })(readEvent('training-not-permission-oom.json'));
    expect(publishedMessage().attributes).toMatchObject({
      category: 'not-permission',
      severity: 'info',
      fixLocation: 'none',
    });
  });

  it.each([
    [
      'another event type',
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} },
    ],
    [
      'a job that did not fail',
      {
        ...readEvent('training-kms-output-denied.json'),
        detail: { TrainingJobName: 'j', TrainingJobStatus: 'Completed' },
      },
    ],
    [
      'a detail without a job',
      { source: 'aws.sagemaker', 'detail-type': 'SageMaker Training Job State Change', detail: 'x' },
    ],
    ['not an object', 'hello'],
  ])('skips %s without throwing or publishing', async (_name, event) => {
    const result = await handlerWith()(event);
    expect(result).toMatchObject({ status: 'skipped', reason: expect.any(String) });
    expect(sns.calls()).toHaveLength(0);
  });

  it('describes the job only when the event lacks what the diagnosis needs', async () => {
    const event = readEvent('training-s3-input-access-denied.json');
    const full = event.detail as Record<string, unknown>;
    sagemaker.on(DescribeTrainingJobCommand).resolves(full);
    const thin = {
      ...event,
      detail: {
        TrainingJobName: full.TrainingJobName,
        TrainingJobArn: full.TrainingJobArn,
        TrainingJobStatus: 'Failed',
        FailureReason: full.FailureReason,
      },
    };
    await handlerWith()(thin);
    expect(sagemaker.commandCalls(DescribeTrainingJobCommand)[0]?.args[0].input).toEqual({
      TrainingJobName: full.TrainingJobName,
    });
    expect(JSON.parse(publishedMessage().body.sqs ?? '{}').outcome.policy.Statement[1].Resource).toEqual([
      'arn:aws:s3:::my-training-bucket/training_data/train/*',
      'arn:aws:s3:::my-training-bucket/training_data/validation/*',
    ]);
  });

  it('proposes the fix for the caller of a denied CreateTrainingJob, without describing a job that does not exist', async () => {
    const result = await handlerWith()(readEvent('cloudtrail-createtrainingjob-passrole-denied.json'));
    expect(result).toMatchObject({ status: 'proposed' });
    expect(sagemaker.calls()).toHaveLength(0);
    const { body, attributes } = publishedMessage();
    expect(attributes).toMatchObject({ category: 'permission-proposal', fixLocation: 'identity-policy' });
    expect(body.default).toContain("aws iam put-role-policy --role-name 'DataScientist'");
  });

  it('describes a failed endpoint through its configuration and models', async () => {
    const event = readEvent('endpoint-images-failed.json');
    const detail = event.detail as Record<string, unknown>;
    sagemaker.on(DescribeEndpointCommand).resolves({ ...detail, EndpointStatus: 'Failed' } as never);
    sagemaker.on(DescribeEndpointConfigCommand).resolves({
      EndpointConfigName: 'churn-endpoint-config-1122',
      ProductionVariants: [{ VariantName: 'variant-1', ModelName: 'churn-model' }],
    } as never);
    sagemaker.on(DescribeModelCommand).resolves({
      ModelName: 'churn-model',
      ExecutionRoleArn: 'arn:aws:iam::111122223333:role/SageMakerModelRole',
      PrimaryContainer: { Image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-inference:3' },
    } as never);
    await handlerWith()(event);
    expect(sagemaker.commandCalls(DescribeEndpointConfigCommand)[0]?.args[0].input).toEqual({
      EndpointConfigName: 'churn-endpoint-config-1122',
    });
    const { body } = publishedMessage();
    const outcome = JSON.parse(body.sqs ?? '{}').outcome as {
      roleName: string;
      policy: { Statement: { Resource: string[] }[] };
    };
    expect(outcome.roleName).toBe('SageMakerModelRole');
    expect(outcome.policy.Statement.flatMap((s) => s.Resource)).toEqual([
      '*',
      'arn:aws:ecr:us-east-1:111122223333:repository/churn-inference',
    ]);
  });

  it('fails the invocation when publishing fails, so EventBridge retries and the DLQ keeps the event', async () => {
    sns.on(PublishCommand).rejects(new Error('SNS is down'));
    await expect(handlerWith()(readEvent('training-s3-output-access-denied.json'))).rejects.toThrow(
      'SNS is down',
    );
  });
});
