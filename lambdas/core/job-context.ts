/**
 * Normalises what we get about a failed job (an EventBridge `SageMaker ... Job State Change` event, its
 * `detail`, or a Describe*Job response) into one {@link JobContext}.
 */
import { InvalidInputError, NotAFailureError } from './errors.js';
import type { JobType } from './job-types.js';
import {
  ACCESS_DENIED_ERROR_CODES,
  API_CALL_DETAIL_TYPE,
  CREATE_CALLS,
  isFailedStatus,
  JOB_TYPE_NAMES,
  JOB_TYPES,
  jobArnOf,
  jobTypeOfDetailType,
  SAGEMAKER_API_SOURCE,
  SAGEMAKER_EVENT_SOURCE,
} from './job-types.js';
import type { Channel, JobContext, KmsKeyReference, S3Location } from './types.js';
import { CHANNELS } from './types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);

/** A parsed `s3://bucket/key` URI, or undefined for anything else. */
export function parseS3Uri(uri: string, channel: Channel): S3Location | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri.trim());
  if (!match?.[1]) return undefined;
  const key = match[2] ?? '';
  // A final path segment with a file extension names one object (manifest, sourcedir.tar.gz).
  const isObject = /\.[A-Za-z0-9]{1,10}$/.test(key) && !key.endsWith('/');
  return { channel, uri: uri.trim(), bucket: match[1], prefix: key.replace(/(?<!\/)\/+$/, ''), isObject };
}

interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

/** Splits an ARN into its parts; undefined when the text is not an ARN. */
export function parseArn(arn: string): ArnParts | undefined {
  const match = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, partition = '', service = '', region = '', accountId = '', resource = ''] = match;
  return { partition, service, region, accountId, resource };
}

/** The name of a role from its ARN, path and all (`arn:aws:iam::1:role/service-role/NAME` is NAME). */
export const roleNameOf = (arn: string | undefined): string | undefined =>
  arn ? /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1] : undefined;

/** The role behind an assumed-role principal (`arn:aws:sts::1:assumed-role/NAME/session` is NAME). */
export const assumedRoleNameOf = (arn: string | undefined): string | undefined =>
  arn ? /:assumed-role\/([^/]+)\//.exec(arn)?.[1] : undefined;

/** Detects the job type from a detail or Describe*Job response by its name field. */
function jobTypeOf(detail: Json): JobType | undefined {
  return JOB_TYPE_NAMES.find((type) => str(detail[JOB_TYPES[type].nameField]));
}

/** The hyperparameter SageMaker's framework containers read the source tarball from (JSON-quoted). */
function submitDirectory(detail: Json): string | undefined {
  const raw = str(
    at(detail, 'HyperParameters', 'sagemaker_submit_directory') ??
      at(detail, 'StaticHyperParameters', 'sagemaker_submit_directory'),
  );
  return raw?.replace(/^"|"$/g, '');
}

/**
 * The objects that hold a failure's configuration: the description itself; a tuning job's training
 * job definitions; an endpoint's or a transform job's models (added as `Models` from DescribeModel).
 */
function configurationsOf(detail: Json, jobType: JobType): Json[] {
  const nested = {
    tuning: [detail.TrainingJobDefinition, ...list(detail.TrainingJobDefinitions)],
    endpoint: list(detail.Models),
    // A transform job runs as its model's role, with its model's images (pre-flight adds the model).
    transform: list(detail.Models),
  } as Partial<Record<JobType, unknown[]>>;
  return [detail, ...(nested[jobType] ?? []).filter(isObject)];
}

/** A model's containers: the primary one and those of an inference pipeline. */
const containersOf = (model: Json): unknown[] =>
  [model.PrimaryContainer, ...list(model.Containers)].filter(isObject);

/** Every S3 URI a job's configuration names, each with the channel that uses it. */
function s3UrisOf(detail: Json): [Channel, unknown][] {
  return [
    ...list(detail.InputDataConfig).map((c): [Channel, unknown] => [
      CHANNELS.inputData,
      at(c, 'DataSource', 'S3DataSource', 'S3Uri'),
    ]),
    [CHANNELS.sourceCode, submitDirectory(detail)],
    [CHANNELS.output, at(detail, 'OutputDataConfig', 'S3OutputPath')],
    [CHANNELS.checkpoint, at(detail, 'CheckpointConfig', 'S3Uri')],
    [CHANNELS.debuggerOutput, at(detail, 'DebugHookConfig', 'S3OutputPath')],
    ...list(detail.DebugRuleConfigurations).map((c): [Channel, unknown] => [
      CHANNELS.debuggerOutput,
      at(c, 'S3OutputPath'),
    ]),
    [CHANNELS.profilerOutput, at(detail, 'ProfilerConfig', 'S3OutputPath')],
    [CHANNELS.tensorboardOutput, at(detail, 'TensorBoardOutputConfig', 'S3OutputPath')],
    // Processing jobs
    ...list(detail.ProcessingInputs).map((c): [Channel, unknown] => [
      CHANNELS.inputData,
      at(c, 'S3Input', 'S3Uri'),
    ]),
    ...list(at(detail, 'ProcessingOutputConfig', 'Outputs')).map((c): [Channel, unknown] => [
      CHANNELS.output,
      at(c, 'S3Output', 'S3Uri'),
    ]),
    // Transform jobs
    [CHANNELS.inputData, at(detail, 'TransformInput', 'DataSource', 'S3DataSource', 'S3Uri')],
    [CHANNELS.output, at(detail, 'TransformOutput', 'S3OutputPath')],
    // Models behind an endpoint
    ...containersOf(detail).flatMap((c): [Channel, unknown][] => [
      [CHANNELS.modelData, at(c, 'ModelDataUrl')],
      [CHANNELS.modelData, at(c, 'ModelDataSource', 'S3DataSource', 'S3Uri')],
    ]),
  ];
}

function kmsKeysOf(detail: Json): KmsKeyReference[] {
  const candidates: [KmsKeyReference['use'], unknown][] = [
    ['volume', at(detail, 'ResourceConfig', 'VolumeKmsKeyId')],
    ['volume', at(detail, 'ProcessingResources', 'ClusterConfig', 'VolumeKmsKeyId')],
    ['volume', at(detail, 'TransformResources', 'VolumeKmsKeyId')],
    ['output', at(detail, 'OutputDataConfig', 'KmsKeyId')],
    ['output', at(detail, 'ProcessingOutputConfig', 'KmsKeyId')],
    ['output', at(detail, 'TransformOutput', 'KmsKeyId')],
    ['output', at(detail, 'DebugHookConfig', 'KmsKeyId')],
    // An endpoint configuration's key encrypts the instances' storage volumes.
    ['volume', at(detail, 'EndpointConfigKmsKeyId')],
  ];
  return candidates.flatMap(([use, keyId]) => {
    const id = str(keyId);
    return id ? [{ use, keyId: id }] : [];
  });
}

function fileSystemsOf(detail: Json): JobContext['fileSystems'] {
  return list(detail.InputDataConfig).flatMap((c) => {
    const id = str(at(c, 'DataSource', 'FileSystemDataSource', 'FileSystemId'));
    const type = str(at(c, 'DataSource', 'FileSystemDataSource', 'FileSystemType'));
    if (!id) return [];
    return [{ type: type === 'EFS' ? ('efs' as const) : ('fsx' as const), id }];
  });
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/**
 * Builds a {@link JobContext} from a Describe*Job response or an event detail.
 * @throws InvalidInputError when the object names no SageMaker job.
 */
export function jobContextFromDescription(detail: unknown, envelope?: { region?: string; account?: string }) {
  if (!isObject(detail)) throw new InvalidInputError('the job description is not a JSON object');
  const jobType = jobTypeOf(detail);
  if (!jobType) {
    throw new InvalidInputError(
      `the job description names no job (${JOB_TYPE_NAMES.map((type) => JOB_TYPES[type].nameField).join(', ')})`,
    );
  }
  const fields = JOB_TYPES[jobType];
  const jobArn = str(detail[fields.arnField]);
  const arn = jobArn ? parseArn(jobArn) : undefined;
  const configurations = configurationsOf(detail, jobType);
  const vpcs = configurations.flatMap((c) => [at(c, 'VpcConfig'), at(c, 'NetworkConfig', 'VpcConfig')]);
  const strings = (values: unknown[]): string[] =>
    unique(values.filter((v): v is string => typeof v === 'string' && v !== ''));
  const status = str(detail[fields.statusField]);
  const [roleArn, ...otherRoleArns] = strings(configurations.flatMap((c) => [c.RoleArn, c.ExecutionRoleArn]));
  const context: JobContext = {
    origin: 'job-state-change',
    jobType,
    jobName: str(detail[fields.nameField]),
    jobArn,
    partition: arn?.partition ?? 'aws',
    region: arn?.region ?? str(envelope?.region),
    accountId: arn?.accountId ?? str(envelope?.account),
    roleArn,
    ...(otherRoleArns.length > 0 ? { otherRoleArns } : {}),
    failureReason: str(detail.FailureReason),
    s3Locations: configurations.flatMap((c) =>
      s3UrisOf(c).flatMap(([channel, uri]) => {
        const location = typeof uri === 'string' ? parseS3Uri(uri, channel) : undefined;
        return location ? [location] : [];
      }),
    ),
    images: strings(
      configurations.flatMap((c) => [
        at(c, 'AlgorithmSpecification', 'TrainingImage'),
        at(c, 'AppSpecification', 'ImageUri'),
        ...containersOf(c).map((container) => at(container, 'Image')),
      ]),
    ),
    kmsKeys: configurations.flatMap(kmsKeysOf),
    subnets: strings(vpcs.flatMap((vpc) => list(at(vpc, 'Subnets')))),
    securityGroups: strings(vpcs.flatMap((vpc) => list(at(vpc, 'SecurityGroupIds')))),
    fileSystems: configurations.flatMap(fileSystemsOf),
  };
  // Endpoint state changes spell it FAILED, DescribeEndpoint Failed: one spelling for callers.
  return { context, status: isFailedStatus(jobType, status) ? 'Failed' : status };
}

/** CloudTrail records request parameters in camelCase; Describe*Job answers in PascalCase. */
export const pascalKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key.charAt(0).toUpperCase() + key.slice(1), pascalKeys(v)]),
  );
};

/**
 * A denied Create*Job call, as CloudTrail recorded it: no job exists, so its request parameters stand
 * in for the description, and the error message is the failure text. The denied principal is the
 * caller (a notebook, a pipeline, a CI role), which the error message names.
 */
function deniedCreateJob(detail: Json, envelope: { region?: string; account?: string }): JobContext {
  const eventName = str(detail.eventName) ?? '';
  const errorCode = str(detail.errorCode) ?? '';
  const jobType = Object.hasOwn(CREATE_CALLS, eventName) ? CREATE_CALLS[eventName] : undefined;
  if (detail.eventSource !== SAGEMAKER_API_SOURCE || !jobType) {
    throw new InvalidInputError(
      `not a SageMaker Create*Job call (${String(detail.eventSource)} ${eventName})`,
    );
  }
  if (!(ACCESS_DENIED_ERROR_CODES as readonly string[]).includes(errorCode)) {
    throw new InvalidInputError(`the ${eventName} call was not denied (errorCode ${errorCode || 'none'})`);
  }
  const fields = JOB_TYPES[jobType];
  const request = pascalKeys(detail.requestParameters);
  const name = str(at(request, fields.nameField));
  const region = str(detail.awsRegion) ?? envelope.region;
  const account = str(detail.recipientAccountId) ?? envelope.account;
  const description = {
    ...(isObject(request) ? request : {}),
    [fields.nameField]: name ?? `(denied ${eventName})`,
    [fields.arnField]:
      name && region && account ? jobArnOf(jobType, { partition: 'aws', region, account }, name) : undefined,
    [fields.statusField]: fields.failedStatus,
    FailureReason: `${errorCode}: ${str(detail.errorMessage) ?? 'no message'}`,
  };
  return { ...jobContextFromDescription(description, { region, account }).context, origin: 'api-call' };
}

/**
 * Accepts an EventBridge job state change event, a CloudTrail-recorded denied Create*Job call, or a
 * bare Describe*Job response, and returns the context of the failure.
 * @throws InvalidInputError for other events, and NotAFailureError for jobs that did not fail.
 */
export function failedJobFromInput(input: unknown): JobContext {
  if (!isObject(input)) throw new InvalidInputError('the input is not a JSON object');
  const isEvent = 'detail-type' in input || 'detail' in input;
  const envelope = { region: str(input.region), account: str(input.account) };
  if (isEvent && input.source === SAGEMAKER_EVENT_SOURCE && input['detail-type'] === API_CALL_DETAIL_TYPE) {
    if (!isObject(input.detail)) throw new InvalidInputError('the CloudTrail event has no detail');
    return deniedCreateJob(input.detail, envelope);
  }
  if (isEvent) {
    const detailType = str(input['detail-type']);
    if (input.source !== SAGEMAKER_EVENT_SOURCE || !jobTypeOfDetailType(detailType)) {
      throw new InvalidInputError(
        `not a SageMaker job state change event (source ${String(input.source)}, detail-type ${String(detailType)})`,
      );
    }
  }
  const { context, status } = jobContextFromDescription(isEvent ? input.detail : input, envelope);
  if (status !== 'Failed') throw new NotAFailureError(status ?? 'missing');
  return context;
}
