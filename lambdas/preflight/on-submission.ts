/**
 * A job was just submitted (its Create call succeeded, as CloudTrail recorded it): check its execution role before SageMaker provisions anything, and if the job will fail,
 * say so with the fix, seconds after submission instead of minutes after provisioning. Opt-in, a
 * definite failure stops the job; an uncertain or unverifiable one never does.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  DescribeModelCommand,
  StopHyperParameterTuningJobCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import type { SNSClient } from '@aws-sdk/client-sns';
import { InvalidInputError } from '../core/errors.js';
import type { JobTypeFacts, StopCall } from '../core/job-types.js';
import { pascalKeys } from '../core/job-context.js';
import { JOB_TYPES } from '../core/job-types.js';
import { notificationOf } from '../core/notification.js';
import type { JobContext } from '../core/types.js';
import type { Prediction } from '../core/preflight.js';
import { jobToCheck, PREDICTIONS } from '../core/preflight.js';
import type { HomeEnvironment } from '../remediator/config.js';
import { publish } from '../remediator/aws/sns.js';
import { checkJob } from './check.js';

export interface PreflightConfig {
  /** Where "this job will fail" messages are published. */
  readonly topicArn: string;
  /** Stop a job whose failure is definite (an explicit deny, a trust policy without SageMaker). @default false */
  readonly stopOnPreflightFailure: boolean;
}

export const PREFLIGHT_DEFAULTS = { stopOnPreflightFailure: false } as const;

export function preflightConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PreflightConfig {
  const topicArn = env.TOPIC_ARN;
  if (!topicArn) throw new Error('TOPIC_ARN is not set');
  const stop = env.STOP_ON_PREFLIGHT_FAILURE;
  return {
    topicArn,
    stopOnPreflightFailure: stop ? stop.toLowerCase() === 'true' : PREFLIGHT_DEFAULTS.stopOnPreflightFailure,
  };
}

export interface PreflightDependencies {
  /** Where the clients act: a job of another account or region is skipped before any call. */
  readonly home: HomeEnvironment;
  readonly iam: IAMClient;
  readonly ecr?: ECRClient;
  readonly s3?: S3Client;
  readonly sagemaker: SageMakerClient;
  readonly sns: SNSClient;
  readonly config: PreflightConfig;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** Plain JSON, for the invocation's record. */
export interface PreflightResult {
  readonly status: 'checked' | 'skipped';
  readonly jobName: string | null;
  readonly prediction: Prediction | null;
  readonly stopped: boolean;
  readonly messageId: string | null;
}

/**
 * The SDK call of each job type's Stop call (the job-type table names it; the compiler checks that
 * every Stop call of the table has its SDK call here). A model has nothing to stop.
 */
const STOP_CALLS: Readonly<Record<StopCall, (client: SageMakerClient, name: string) => Promise<unknown>>> = {
  StopTrainingJob: (client, TrainingJobName) => client.send(new StopTrainingJobCommand({ TrainingJobName })),
  StopProcessingJob: (client, ProcessingJobName) =>
    client.send(new StopProcessingJobCommand({ ProcessingJobName })),
  StopTransformJob: (client, TransformJobName) =>
    client.send(new StopTransformJobCommand({ TransformJobName })),
  StopHyperParameterTuningJob: (client, HyperParameterTuningJobName) =>
    client.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName })),
};

/** Stops the job when asked to and the failure is certain; says what was done either way. */
async function stopIfDefinite(
  definite: boolean,
  job: JobContext,
  deps: PreflightDependencies,
): Promise<{ stopped: boolean; text?: string }> {
  if (!deps.config.stopOnPreflightFailure) return { stopped: false };
  const { jobName } = job;
  const stopCall = (JOB_TYPES[job.jobType] as JobTypeFacts).stopCall as StopCall | undefined;
  if (!stopCall || !jobName) {
    return {
      stopped: false,
      text: `Nothing was stopped: a ${JOB_TYPES[job.jobType].noun} that has not started has no Stop call; fix the role before it is deployed.`,
    };
  }
  if (!definite) {
    return {
      stopped: false,
      text: 'The job was not stopped: stopOnPreflightFailure stops only a certain failure (an explicit deny or a trust policy without SageMaker), and a bucket, key or repository policy could still grant what is missing here.',
    };
  }
  try {
    await STOP_CALLS[stopCall](deps.sagemaker, jobName);
    return {
      stopped: true,
      text: `The job ${jobName} was stopped before it ran (stopOnPreflightFailure): fix the role and submit it again.`,
    };
  } catch (error) {
    return {
      stopped: false,
      text: `Stopping the job failed: ${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A CreateTransformJob request names no role: the job runs as its model's role and pulls its
 * model's images. The model is read (DescribeModel) and added to the request as `Models`, as the
 * endpoint describer adds an endpoint's; any other event is returned as it came.
 */
async function withTransformModel(event: unknown, sagemaker: SageMakerClient): Promise<unknown> {
  if (!isObject(event) || !isObject(event.detail)) return event;
  const { detail } = event;
  // CloudTrail records request parameters in camelCase.
  const request = pascalKeys(detail.requestParameters);
  if (detail.eventName !== JOB_TYPES.transform.createCall || !isObject(request)) return event;
  if (typeof request.ModelName !== 'string') return event;
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: request.ModelName }));
  const { $metadata: _metadata, ...description } = model;
  return { ...event, detail: { ...detail, requestParameters: { ...request, Models: [description] } } };
}

/**
 * Why the submitted job is not one of the home account and region; undefined when it is. The role is
 * read and the job stopped by name, so a record of another account (a member forwarding its own
 * call, naming a job and role that share names with the home account's) must not reach a client.
 */
function foreignTo(home: HomeEnvironment, event: unknown, job?: JobContext): string | undefined {
  const envelope = isObject(event) ? event : {};
  const detail = isObject(envelope.detail) ? envelope.detail : {};
  const accounts = [
    ['event', envelope.account],
    ['call', detail.recipientAccountId ?? home.accountId],
    ['role', job?.accountId ?? home.accountId],
  ] as const;
  const regions = [
    ['event', envelope.region],
    ['call', detail.awsRegion ?? home.region],
    ['job', job?.region ?? home.region],
  ] as const;
  const account = accounts.find(([, value]) => value !== home.accountId);
  if (account)
    return `the ${account[0]}'s account ${String(account[1])} is not this function's account ${home.accountId}`;
  const region = regions.find(([, value]) => value !== home.region);
  return region
    ? `the ${region[0]}'s region ${String(region[1])} is not this function's region ${home.region}`
    : undefined;
}

export async function preflightOnSubmission(
  event: unknown,
  deps: PreflightDependencies,
): Promise<PreflightResult> {
  let job;
  try {
    const eventForeign = foreignTo(deps.home, event);
    if (eventForeign) throw new InvalidInputError(eventForeign);
    job = jobToCheck(await withTransformModel(event, deps.sagemaker));
    const jobForeign = foreignTo(deps.home, event, job);
    if (jobForeign) throw new InvalidInputError(jobForeign);
  } catch (error) {
    // Not a job pre-flight can read: nothing to retry.
    if (!(error instanceof InvalidInputError)) throw error;
    deps.logger.warn('event skipped', { reason: error.message });
    return { status: 'skipped', jobName: null, prediction: null, stopped: false, messageId: null };
  }
  const report = await checkJob(job, deps);
  const base = { status: 'checked', jobName: job.jobName ?? null, prediction: report.prediction } as const;
  if (report.prediction !== PREDICTIONS.willFail || !report.diagnosis || !report.proposal) {
    deps.logger.info('pre-flight', { ...base, unchecked: report.unchecked });
    return { ...base, stopped: false, messageId: null };
  }
  const stop = await stopIfDefinite(report.definite, job, deps);
  const extraText = [
    report.definite
      ? undefined
      : 'Predicted from the role, its permissions boundary and SCPs (SimulatePrincipalPolicy); a bucket, key or repository policy naming the role could still grant what is missing.',
    ...report.unchecked.map((line) => `Not checked: ${line}.`),
    stop.text,
  ].filter((line): line is string => line !== undefined);
  const notification = notificationOf(
    { kind: 'permission', diagnosis: report.diagnosis, proposal: report.proposal, job },
    { extraText: extraText.join('\n'), predicted: true },
  );
  const messageId = await publish(deps.sns, deps.config.topicArn, notification);
  deps.logger.info('pre-flight failure published', { ...base, messageId, stopped: stop.stopped });
  return { ...base, stopped: stop.stopped, messageId };
}
