import { describe, expect, it } from 'vitest';
import { analyse, failedJobFromInput, jobContextFromDescription } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const resourcesOf = (outcome: ReturnType<typeof analyse>): string[] =>
  outcome.kind === 'permission' ? (outcome.proposal.policy?.Statement.flatMap((s) => s.Resource) ?? []) : [];

describe('other job types through the same pipeline', () => {
  it('a tuning job is scoped by its training job definition', () => {
    const job = failedJobFromInput(readEvent('tuning-s3-input-denied.json'));
    expect(job).toMatchObject({
      jobType: 'tuning',
      jobName: 'xgb-churn-hpo-1121',
      roleArn: 'arn:aws:iam::111122223333:role/SageMakerExecRole',
    });
    expect(resourcesOf(analyse(job.failureReason ?? '', job))).toEqual([
      'arn:aws:s3:::my-training-bucket',
      'arn:aws:s3:::my-training-bucket/hpo/train/*',
    ]);
  });

  it('an endpoint is read from its models: images of each variant and model data prefixes', () => {
    // Prepare: what the adapter builds from DescribeEndpoint, DescribeEndpointConfig and DescribeModel.
    const event = readEvent('endpoint-images-failed.json');
    const described = {
      ...(event.detail as Record<string, unknown>),
      EndpointStatus: 'Failed',
      EndpointConfigKmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/aaaa-bbbb',
      Models: [
        {
          ModelName: 'churn-model',
          ExecutionRoleArn: 'arn:aws:iam::111122223333:role/SageMakerModelRole',
          PrimaryContainer: {
            Image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-inference:3',
            ModelDataUrl: 's3://my-models/churn/model.tar.gz',
          },
        },
        {
          ModelName: 'multi-model',
          ExecutionRoleArn: 'arn:aws:iam::111122223333:role/SageMakerModelRole',
          Containers: [
            {
              Image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/mme:1',
              ModelDataUrl: 's3://my-models/mme/',
            },
          ],
        },
      ],
    };
    const { context, status } = jobContextFromDescription(described, { region: 'us-east-1' });
    expect(status).toBe('Failed');
    expect(context).toMatchObject({
      jobType: 'endpoint',
      roleArn: 'arn:aws:iam::111122223333:role/SageMakerModelRole',
      images: [
        '111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-inference:3',
        '111122223333.dkr.ecr.us-east-1.amazonaws.com/mme:1',
      ],
      kmsKeys: [{ use: 'volume', keyId: 'arn:aws:kms:us-east-1:111122223333:key/aaaa-bbbb' }],
    });
    const images = analyse(context.failureReason ?? '', context);
    expect(resourcesOf(images)).toEqual([
      '*',
      'arn:aws:ecr:us-east-1:111122223333:repository/churn-inference',
      'arn:aws:ecr:us-east-1:111122223333:repository/mme',
    ]);
    const modelData = analyse(
      'ClientError: Could not access model data at s3://my-models/churn/model.tar.gz.',
      context,
    );
    expect(resourcesOf(modelData)).toEqual([
      'arn:aws:s3:::my-models',
      'arn:aws:s3:::my-models/churn/model.tar.gz',
      'arn:aws:s3:::my-models/mme/*',
    ]);
  });

  it('accepts the capitalised FAILED of endpoint state changes, and nothing that did not fail', () => {
    expect(failedJobFromInput(readEvent('endpoint-images-failed.json')).jobName).toBe('churn-endpoint');
    const inService = readEvent('endpoint-images-failed.json');
    (inService.detail as Record<string, unknown>).EndpointStatus = 'IN_SERVICE';
    expect(() => failedJobFromInput(inService)).toThrow(/IN_SERVICE/);
  });
});
