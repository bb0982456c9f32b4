/** Describes a job when its state change event lacks the fields the diagnosis needs. */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  DescribeTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import type { JobContext, JobType } from '../../core/index.js';
import { jobContextFromDescription } from '../../core/index.js';

export async function describeJob(client: SageMakerClient, job: JobContext): Promise<JobContext> {
  const name = job.jobName;
  if (!name) return job;
  const describers: Record<JobType, () => Promise<unknown>> = {
    training: () => client.send(new DescribeTrainingJobCommand({ TrainingJobName: name })),
    processing: () => client.send(new DescribeProcessingJobCommand({ ProcessingJobName: name })),
    transform: () => client.send(new DescribeTransformJobCommand({ TransformJobName: name })),
  };
  const described = jobContextFromDescription(await describers[job.jobType](), {
    region: job.region,
    account: job.accountId,
  }).context;
  // The event's FailureReason is what failed; a later describe may already show a rerun.
  return { ...described, failureReason: job.failureReason ?? described.failureReason };
}
