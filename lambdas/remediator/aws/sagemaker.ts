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
import type { DescribeOperation } from '../../core/job-types.js';
import { JOB_TYPES } from '../../core/job-types.js';

/**
 * The SDK call of each job type's Describe operation (the job-type table names the operation and
 * its name parameter; the compiler checks that every operation of the table has its call here).
 */
const DESCRIBE_CALLS: Readonly<
  Record<DescribeOperation, (client: SageMakerClient, name: string) => Promise<object>>
> = {
  DescribeTrainingJob: (client, TrainingJobName) =>
    client.send(new DescribeTrainingJobCommand({ TrainingJobName })),
  DescribeProcessingJob: (client, ProcessingJobName) =>
    client.send(new DescribeProcessingJobCommand({ ProcessingJobName })),
  DescribeTransformJob: (client, TransformJobName) =>
    client.send(new DescribeTransformJobCommand({ TransformJobName })),
  DescribeHyperParameterTuningJob: (client, HyperParameterTuningJobName) =>
    client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName })),
  DescribeEndpoint: (client, EndpointName) => client.send(new DescribeEndpointCommand({ EndpointName })),
};

/**
 * An endpoint's description names neither role, images nor model data: they live on the models of
 * its configuration's production variants (the further reads of the endpoint's row).
 */
async function withModels(client: SageMakerClient, endpoint: object): Promise<object> {
  const { EndpointConfigName } = endpoint as { EndpointConfigName?: string };
  const config = await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName }));
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

/** What a job type's description needs beyond its own Describe call. */
const FURTHER_READS: Partial<
  Record<JobType, (client: SageMakerClient, described: object) => Promise<object>>
> = { endpoint: withModels };

export async function describeJob(client: SageMakerClient, job: JobContext): Promise<JobContext> {
  const name = job.jobName;
  if (!name) return job;
  const [own] = JOB_TYPES[job.jobType].describe;
  const description = await DESCRIBE_CALLS[own.operation](client, name);
  const further = FURTHER_READS[job.jobType];
  const described = jobContextFromDescription(further ? await further(client, description) : description, {
    region: job.region,
    account: job.accountId,
  }).context;
  // The event's FailureReason is what failed; a later describe may already show a rerun.
  return { ...described, failureReason: job.failureReason ?? described.failureReason };
}
