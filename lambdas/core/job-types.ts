/**
 * THE job-type table: every fact the service knows about a kind of SageMaker job, one row per type.
 * The event rules, the function's IAM, the describers, the CloudTrail rule, the idempotency key and
 * the README's list are derived from it (lib/, lambdas/remediator/); a new job type is one row here.
 * Pure data: no SDK, no I/O.
 */

/** The IAM service prefix and ARN service of every row's resources. */
export const SAGEMAKER_SERVICE = 'sagemaker';

/** The EventBridge source of SageMaker state changes and of CloudTrail-recorded SageMaker calls. */
export const SAGEMAKER_EVENT_SOURCE = 'aws.sagemaker';

/** The CloudTrail event source of SageMaker API calls. */
export const SAGEMAKER_API_SOURCE = 'sagemaker.amazonaws.com';

/** The EventBridge detail-type of CloudTrail-recorded API calls. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** CloudTrail error codes of an authorization failure. */
export const ACCESS_DENIED_ERROR_CODES = ['AccessDenied', 'AccessDeniedException'] as const;

/** One API call that reads a failure, and the SageMaker ARN resource type it acts on (for IAM). */
export interface DescribeRead {
  /** The SageMaker API operation, e.g. `DescribeTrainingJob` (IAM action `sagemaker:<operation>`). */
  readonly operation: string;
  /** The resource type in SageMaker ARNs the operation acts on, e.g. `training-job`. */
  readonly resourceType: string;
}

/** What the service knows about one job type. */
export interface JobTypeFacts {
  /** EventBridge detail-type of the job's state change (source `aws.sagemaker`). */
  readonly detailType: string;
  /** Field of the detail (and of the Describe response) that names the job. */
  readonly nameField: string;
  /** Field that holds the job's ARN: it identifies one failure in the idempotency key. */
  readonly arnField: string;
  /** Field that holds the job's status. */
  readonly statusField: string;
  /** The status value of a failure, spelt as the state change spells it. */
  readonly failedStatus: string;
  /** The resource type of the job in SageMaker ARNs and IAM (`arn:...:sagemaker:R:A:<type>/NAME`). */
  readonly arnResourceType: string;
  /**
   * The Describe call that returns the job's configuration, taking `{ [nameField]: name }`; then any
   * further reads the describer makes (an endpoint's configuration and models). IAM grants all.
   */
  readonly describe: readonly [DescribeRead, ...DescribeRead[]];
  /** The Create call whose CloudTrail-recorded denial is diagnosed; none when its request names no role. */
  readonly createCall?: string;
  /** CloudWatch namespace of the job's metrics, and the prefix of its log group (an endpoint adds its name). */
  readonly cloudWatchNamespace: string;
  /** What messages call one job of this type. */
  readonly noun: string;
  /** What the job writes to its S3 output, for pre-flight's `why`. */
  readonly outputNoun: string;
  /** The call that stops a job of this type that pre-flight finds will fail (IAM `sagemaker:<call>`). */
  readonly stopCall?: string;
  /** The SageMaker console's path to such jobs (`.../sagemaker/home?region=R#/<path>/NAME`). */
  readonly consolePath: string;
}

export const JOB_TYPES = {
  training: {
    detailType: 'SageMaker Training Job State Change',
    nameField: 'TrainingJobName',
    arnField: 'TrainingJobArn',
    statusField: 'TrainingJobStatus',
    failedStatus: 'Failed',
    arnResourceType: 'training-job',
    describe: [{ operation: 'DescribeTrainingJob', resourceType: 'training-job' }],
    createCall: 'CreateTrainingJob',
    cloudWatchNamespace: '/aws/sagemaker/TrainingJobs',
    noun: 'training job',
    outputNoun: 'the model artifacts',
    stopCall: 'StopTrainingJob',
    consolePath: 'jobs',
  },
  processing: {
    detailType: 'SageMaker Processing Job State Change',
    nameField: 'ProcessingJobName',
    arnField: 'ProcessingJobArn',
    statusField: 'ProcessingJobStatus',
    failedStatus: 'Failed',
    arnResourceType: 'processing-job',
    describe: [{ operation: 'DescribeProcessingJob', resourceType: 'processing-job' }],
    createCall: 'CreateProcessingJob',
    cloudWatchNamespace: '/aws/sagemaker/ProcessingJobs',
    noun: 'processing job',
    outputNoun: 'the processing outputs',
    stopCall: 'StopProcessingJob',
    consolePath: 'processing-jobs',
  },
  transform: {
    detailType: 'SageMaker Transform Job State Change',
    nameField: 'TransformJobName',
    arnField: 'TransformJobArn',
    statusField: 'TransformJobStatus',
    failedStatus: 'Failed',
    arnResourceType: 'transform-job',
    describe: [{ operation: 'DescribeTransformJob', resourceType: 'transform-job' }],
    createCall: 'CreateTransformJob',
    cloudWatchNamespace: '/aws/sagemaker/TransformJobs',
    noun: 'transform job',
    outputNoun: 'the inference results',
    stopCall: 'StopTransformJob',
    consolePath: 'transform-jobs',
  },
  tuning: {
    detailType: 'SageMaker HyperParameter Tuning Job State Change',
    nameField: 'HyperParameterTuningJobName',
    arnField: 'HyperParameterTuningJobArn',
    statusField: 'HyperParameterTuningJobStatus',
    failedStatus: 'Failed',
    arnResourceType: 'hyper-parameter-tuning-job',
    describe: [{ operation: 'DescribeHyperParameterTuningJob', resourceType: 'hyper-parameter-tuning-job' }],
    createCall: 'CreateHyperParameterTuningJob',
    // A tuning job's training jobs log as training jobs.
    cloudWatchNamespace: '/aws/sagemaker/TrainingJobs',
    noun: 'hyperparameter tuning job',
    outputNoun: "its training jobs' model artifacts",
    stopCall: 'StopHyperParameterTuningJob',
    consolePath: 'hyper-tuning-jobs',
  },
  endpoint: {
    detailType: 'SageMaker Endpoint State Change',
    nameField: 'EndpointName',
    arnField: 'EndpointArn',
    statusField: 'EndpointStatus',
    // Endpoint state changes spell statuses in capitals.
    failedStatus: 'FAILED',
    arnResourceType: 'endpoint',
    // An endpoint names neither role, images nor model data: they live on its configuration's models.
    describe: [
      { operation: 'DescribeEndpoint', resourceType: 'endpoint' },
      { operation: 'DescribeEndpointConfig', resourceType: 'endpoint-config' },
      { operation: 'DescribeModel', resourceType: 'model' },
    ],
    cloudWatchNamespace: '/aws/sagemaker/Endpoints',
    noun: 'endpoint',
    outputNoun: 'the inference results',
    consolePath: 'endpoints',
  },
} as const satisfies Record<string, JobTypeFacts>;

/** A kind of SageMaker job the service diagnoses: a key of {@link JOB_TYPES}. */
export type JobType = keyof typeof JOB_TYPES;

/** Every job type, in table order. */
export const JOB_TYPE_NAMES = Object.keys(JOB_TYPES) as JobType[];

/** The Describe operation of each job type's own description (the first read of its row). */
export type DescribeOperation = (typeof JOB_TYPES)[JobType]['describe'][0]['operation'];

/** The Stop call of every job type that has one. */
export type StopCall = Extract<(typeof JOB_TYPES)[JobType], { stopCall: string }>['stopCall'];

/** The Create calls whose denials are diagnosed, by the job type they would have created. */
export const CREATE_CALLS: Readonly<Record<string, JobType>> = Object.fromEntries(
  JOB_TYPE_NAMES.flatMap((type) => {
    const call: string | undefined = (JOB_TYPES[type] as JobTypeFacts).createCall;
    return call ? [[call, type]] : [];
  }),
);

/** The job type whose state change has this detail-type, if any. */
export const jobTypeOfDetailType = (detailType: string | undefined): JobType | undefined =>
  JOB_TYPE_NAMES.find((type) => JOB_TYPES[type].detailType === detailType);

/** True when `status` is the failed status of the job type (as a state change or Describe spells it). */
export const isFailedStatus = (type: JobType, status: string | undefined): boolean =>
  status !== undefined && status.toLowerCase() === JOB_TYPES[type].failedStatus.toLowerCase();

/** The job's ARN: `arn:<partition>:sagemaker:<region>:<account>:<resource type>/<name>`. */
export const jobArnOf = (
  type: JobType,
  env: { partition: string; region: string; account: string },
  name: string,
): string =>
  `arn:${env.partition}:${SAGEMAKER_SERVICE}:${env.region}:${env.account}:${JOB_TYPES[type].arnResourceType}/${name}`;

/**
 * The JMESPath of the idempotency key of an event: the failed job's ARN (whichever field of the table
 * holds it) or, for a denied Create call that made no job, its CloudTrail event id; and the failure
 * text. Two jobs never share a key; one failure delivered twice always does.
 */
export const IDEMPOTENCY_KEY_PATH = `[${[
  ...JOB_TYPE_NAMES.map((type) => `detail.${JOB_TYPES[type].arnField}`),
  'detail.eventID',
].join(' || ')}, detail.FailureReason || detail.errorMessage]`;
