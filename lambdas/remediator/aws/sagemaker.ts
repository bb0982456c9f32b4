/** Describes a failure when its state change event lacks the fields the diagnosis needs. */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeModelCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import type { JobContext, JobType } from '../../core/index.js';
import { jobContextFromDescription } from '../../core/index.js';

/**
 * An endpoint's state change names neither role, images nor model data: they live on the models of
 * its configuration's production variants.
 */
async function describeEndpoint(client: SageMakerClient, name: string): Promise<unknown> {
  const endpoint = await client.send(new DescribeEndpointCommand({ EndpointName: name }));
  const config = await client.send(
    new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }),
  );
  const modelNames = [
    ...new Set(
      (config.ProductionVariants ?? []).flatMap((variant) => (variant.ModelName ? [variant.ModelName] : [])),
    ),
  ];
  const models = await Promise.all(
    modelNames.map((ModelName) => client.send(new DescribeModelCommand({ ModelName }))),
  );
  return { ...endpoint, EndpointConfigKmsKeyId: config.KmsKeyId, Models: models };
}

export async function describeJob(client: SageMakerClient, job: JobContext): Promise<JobContext> {
  const name = job.jobName;
  if (!name) return job;
  const describers: Record<JobType, () => Promise<unknown>> = {
    training: () => client.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
    processing: () => client.send(new DescribeProcessingJobCommand({ ProcessingJobName: name })),
    transform: () => client.send(new DescribeTransformJobCommand({ TransformJobName: name })),
    tuning: () =>
      client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })),
    endpoint: () => describeEndpoint(client, name),
  };
  const described = jobContextFromDescription(await describers[job.jobType](), {
    region: job.region,
    account: job.accountId,
  }).context;
  // The event's FailureReason is what failed; a later describe may already show a rerun.
  return { ...described, failureReason: job.failureReason ?? described.failureReason };
}
