/** The stop path of the pre-flight function, which the local server cannot run (no Stop*Job calls). */
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeModelCommand,
  SageMakerClient,
  StopHyperParameterTuningJobCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PREDICTIONS } from '../../lambdas/core/preflight.js';
import { preflightOnSubmission } from '../../lambdas/preflight/on-submission.js';
import { submittedTrainingJob } from '../helpers/fixtures.js';

const ACCOUNT = '111122223333';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/SageMakerExecRole`;
const JOB = 'xgb-submitted-2';
const iam = mockClient(IAMClient);
const sagemaker = mockClient(SageMakerClient);
const sns = mockClient(SNSClient);

const submitted = (): unknown => submittedTrainingJob(JOB, ROLE_ARN, ACCOUNT);

/** The same successful CloudTrail record, for another Create call of a bundled example request. */
function submittedCall(eventName: string, example: string, responseElements: object): unknown {
  const event = submitted() as { detail: object };
  const request = JSON.parse(
    readFileSync(new URL(`../../examples/jobs/${example}`, import.meta.url), 'utf8'),
  ) as object;
  return { ...event, detail: { ...event.detail, eventName, requestParameters: request, responseElements } };
}

/** A trust policy that lets only EC2 assume the role: SageMaker cannot, so the job certainly fails. */
const EC2_ONLY_TRUST = encodeURIComponent(
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  }),
);

const deps = (stopOnPreflightFailure: boolean) => ({
  home: { accountId: ACCOUNT, region: 'us-east-1' },
  iam: new IAMClient({ region: 'us-east-1' }),
  sagemaker: new SageMakerClient({ region: 'us-east-1' }),
  sns: new SNSClient({ region: 'us-east-1' }),
  config: { topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:proposals`, stopOnPreflightFailure },
  logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
});

beforeEach(() => {
  iam.reset();
  sagemaker.reset();
  sns.reset();
  iam.on(GetRoleCommand).resolves({
    Role: {
      RoleName: 'SageMakerExecRole',
      Arn: ROLE_ARN,
      Path: '/',
      RoleId: 'AROAEXAMPLE',
      CreateDate: new Date(0),
      AssumeRolePolicyDocument: EC2_ONLY_TRUST,
    },
  });
  iam
    .on(SimulatePrincipalPolicyCommand)
    .callsFake((input: { ActionNames: string[]; ResourceArns?: string[] }) => ({
      EvaluationResults: input.ActionNames.map((action) => ({
        EvalActionName: action,
        EvalResourceName: input.ResourceArns?.[0] ?? '*',
        EvalDecision: 'allowed',
      })),
    }));
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  sagemaker.on(StopTrainingJobCommand).resolves({});
  sagemaker.on(StopProcessingJobCommand).resolves({});
  sagemaker.on(StopHyperParameterTuningJobCommand).resolves({});
  sagemaker.on(StopTransformJobCommand).resolves({});
  // A transform job runs as its model's role: pre-flight reads the model.
  sagemaker.on(DescribeModelCommand, { ModelName: 'xgb-churn-model' }).resolves({
    ModelName: 'xgb-churn-model',
    ExecutionRoleArn: ROLE_ARN,
    PrimaryContainer: { Image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/xgb-inference:1.4.2` },
  });
});

describe('pre-flight on submission: stopping a job that will certainly fail', () => {
  it('stops the job when stopOnPreflightFailure is on, and says so', async () => {
    // Act
    const result = await preflightOnSubmission(submitted(), deps(true));
    // Assess
    expect(result).toMatchObject({ status: 'checked', prediction: PREDICTIONS.willFail, stopped: true });
    expect(sagemaker.commandCalls(StopTrainingJobCommand).map((call) => call.args[0].input)).toEqual([
      { TrainingJobName: JOB },
    ]);
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as {
      default: string;
    };
    expect(message.default).toContain(`The job ${JOB} was stopped before it ran (stopOnPreflightFailure)`);
  });

  it('never stops without the switch', async () => {
    // Act
    const result = await preflightOnSubmission(submitted(), deps(false));
    // Assess
    expect(result).toMatchObject({ prediction: PREDICTIONS.willFail, stopped: false });
    expect(sagemaker.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it.each([
    [
      'CreateProcessingJob',
      'processing-job.json',
      StopProcessingJobCommand,
      { ProcessingJobName: 'churn-features-2026-11-27' },
    ],
    [
      'CreateHyperParameterTuningJob',
      'tuning-job.json',
      StopHyperParameterTuningJobCommand,
      { HyperParameterTuningJobName: 'xgb-churn-tune-1127' },
    ],
    [
      'CreateTransformJob',
      'transform-job.json',
      StopTransformJobCommand,
      { TransformJobName: 'churn-batch-2026-11-27' },
    ],
  ] as const)('stops a job submitted by %s with its own Stop call', async (call, example, command, input) => {
    // Act
    const result = await preflightOnSubmission(submittedCall(call, example, {}), deps(true));
    // Assess
    expect(result).toMatchObject({ status: 'checked', prediction: PREDICTIONS.willFail, stopped: true });
    const stops = sagemaker.calls().filter((c) => c.args[0].constructor.name.startsWith('Stop'));
    expect(stops.map((c) => [c.args[0].constructor, c.args[0].input])).toEqual([[command, input]]);
    expect(sagemaker.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
  });

  it('checks a model at CreateModel and says that nothing was stopped', async () => {
    // Prepare: a bare CreateModel request, as CloudTrail records it.
    const { CreateModel } = JSON.parse(
      readFileSync(new URL('../../examples/jobs/model-endpoint.json', import.meta.url), 'utf8'),
    ) as { CreateModel: object };
    const event = submitted() as { detail: object };
    // Act
    const result = await preflightOnSubmission(
      {
        ...event,
        detail: {
          ...event.detail,
          eventName: 'CreateModel',
          requestParameters: CreateModel,
          responseElements: {},
        },
      },
      deps(true),
    );
    // Assess
    expect(result).toMatchObject({
      status: 'checked',
      jobName: 'xgb-churn-model',
      prediction: PREDICTIONS.willFail,
      stopped: false,
    });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as {
      default: string;
    };
    expect(message.default).toContain('Nothing was stopped');
  });
});

describe('issue 17: pre-flight reads and acts only in its own account and region', () => {
  const MEMBER = '444455556666';
  /** A member's own CreateTrainingJob record, forwarded to the central bus, naming a central job's name. */
  const forwarded = (
    edit: (event: { account: string; region: string; detail: Record<string, unknown> }) => void,
  ) => {
    const event = structuredClone(
      submittedTrainingJob('central-nightly-train', `arn:aws:iam::${MEMBER}:role/SageMakerExecRole`, MEMBER),
    ) as { account: string; region: string; detail: Record<string, unknown> };
    edit(event);
    return event;
  };

  it.each([
    ['a member account record', (_event: { account: string }) => undefined],
    [
      'a record whose envelope claims the home account',
      (event: { account: string }) => {
        event.account = ACCOUNT;
      },
    ],
    [
      'a home-account record naming a member role',
      (event: { account: string; detail: Record<string, unknown> }) => {
        event.account = ACCOUNT;
        event.detail.recipientAccountId = ACCOUNT;
        event.detail.responseElements = {
          trainingJobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/central-nightly-train`,
        };
      },
    ],
    [
      'a record of another region',
      (event: { account: string; region: string; detail: Record<string, unknown> }) => {
        event.account = ACCOUNT;
        event.region = 'eu-west-1';
        event.detail.recipientAccountId = ACCOUNT;
        event.detail.awsRegion = 'eu-west-1';
        (event.detail.requestParameters as { roleArn: string }).roleArn = ROLE_ARN;
      },
    ],
  ])('17-5: %s is skipped before any read, and nothing is stopped', async (_what, edit) => {
    // Prepare
    const event = forwarded(edit);
    // Act
    const result = await preflightOnSubmission(event, deps(true));
    // Assess
    expect(result).toMatchObject({ status: 'skipped', stopped: false });
    expect(iam.calls()).toHaveLength(0);
    expect(sagemaker.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('17-5: a role of the same name read in another account is not taken for the job role', async () => {
    // Prepare: GetRole by name answers with the home account's role of another path.
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'SageMakerExecRole',
        Arn: `arn:aws:iam::${ACCOUNT}:role/other-path/SageMakerExecRole`,
        Path: '/other-path/',
        RoleId: 'AROAEXAMPLE',
        CreateDate: new Date(0),
        AssumeRolePolicyDocument: EC2_ONLY_TRUST,
      },
    });
    // Act
    const result = await preflightOnSubmission(submitted(), deps(true));
    // Assess: the trust policy of another role proves nothing about this one, so nothing is certain.
    expect(result.stopped).toBe(false);
    expect(sagemaker.commandCalls(StopTrainingJobCommand)).toHaveLength(0);
  });
});
