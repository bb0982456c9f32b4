/**
 * Turns a channel and its actions into grants scoped to the job's own resources.
 *
 * Resources come from the job's configuration first. Text from the message is used only where the
 * job says nothing (and is marked `message`), and where neither says anything the grant carries a
 * visible placeholder (`placeholder`). `*` appears only for actions IAM cannot scope.
 */
import { ECR_PULL_ACTIONS, ENI_ACTIONS, LOG_WRITE_ACTIONS } from './action-sets.js';
import { JOB_ARN_TYPES, parseArn, parseS3Uri } from './job-context.js';
import type {
  Channel,
  Grant,
  JobContext,
  JobType,
  PolicyCondition,
  ResourceSource,
  S3Location,
} from './types.js';
import { CHANNELS } from './types.js';

/** Actions a senior engineer grants together: when one of a group is missing, the rest usually are. */
export const COMPANION_GROUPS: readonly { readonly channel: Channel; readonly actions: readonly string[] }[] =
  [
    { channel: CHANNELS.inputData, actions: ['s3:GetObject', 's3:ListBucket'] },
    { channel: CHANNELS.sourceCode, actions: ['s3:GetObject'] },
    { channel: CHANNELS.output, actions: ['s3:PutObject', 's3:AbortMultipartUpload'] },
    { channel: CHANNELS.checkpoint, actions: ['s3:GetObject', 's3:PutObject', 's3:ListBucket'] },
    { channel: CHANNELS.debuggerOutput, actions: ['s3:PutObject'] },
    { channel: CHANNELS.profilerOutput, actions: ['s3:PutObject'] },
    { channel: CHANNELS.tensorboardOutput, actions: ['s3:PutObject'] },
    { channel: CHANNELS.modelData, actions: ['s3:GetObject', 's3:ListBucket'] },
    { channel: CHANNELS.ecrImage, actions: ECR_PULL_ACTIONS },
    { channel: CHANNELS.vpcNetwork, actions: ENI_ACTIONS },
    { channel: CHANNELS.cloudwatchLogs, actions: LOG_WRITE_ACTIONS },
    { channel: CHANNELS.cloudwatchLogs, actions: ['logs:DescribeLogStreams', 'logs:GetLogEvents'] },
  ];

/** Actions that submit or tag a job: the caller's, not the execution role's. */
const ACTION_CHANNELS: Readonly<Record<string, Channel>> = {
  'iam:PassRole': CHANNELS.jobSubmission,
  'sagemaker:AddTags': CHANNELS.jobSubmission,
  'sagemaker:CreateTrainingJob': CHANNELS.jobSubmission,
  'sagemaker:CreateProcessingJob': CHANNELS.jobSubmission,
  'sagemaker:CreateTransformJob': CHANNELS.jobSubmission,
};

/** The channel of an action named by a message, by its service, when no S3 location claims it. */
const SERVICE_CHANNELS: Readonly<Record<string, Channel>> = {
  kms: CHANNELS.kms,
  ecr: CHANNELS.ecrImage,
  logs: CHANNELS.cloudwatchLogs,
  cloudwatch: CHANNELS.cloudwatchMetrics,
  fsx: CHANNELS.fsx,
  elasticfilesystem: CHANNELS.efs,
};

/** How each action is scoped. Actions not listed are scoped to the resource the message names. */
type ResourceKind =
  | 's3-object'
  | 's3-list'
  | 'ecr-repository'
  | 'kms-key'
  | 'log-group'
  | 'eni-create'
  | 'eni'
  | 'unscoped'
  | 'metrics'
  | 'file-system'
  | 'role'
  | 'pass-role'
  | 'job';

const RESOURCE_KINDS: Readonly<Record<string, ResourceKind>> = {
  's3:GetObject': 's3-object',
  's3:PutObject': 's3-object',
  's3:AbortMultipartUpload': 's3-object',
  's3:DeleteObject': 's3-object',
  's3:ListBucket': 's3-list',
  'ecr:BatchCheckLayerAvailability': 'ecr-repository',
  'ecr:BatchGetImage': 'ecr-repository',
  'ecr:GetDownloadUrlForLayer': 'ecr-repository',
  'ecr:GetAuthorizationToken': 'unscoped',
  'ec2:CreateNetworkInterface': 'eni-create',
  'ec2:CreateNetworkInterfacePermission': 'eni',
  'ec2:DeleteNetworkInterface': 'eni',
  'ec2:DeleteNetworkInterfacePermission': 'eni',
  'ec2:DescribeNetworkInterfaces': 'unscoped',
  'ec2:DescribeVpcs': 'unscoped',
  'ec2:DescribeDhcpOptions': 'unscoped',
  'ec2:DescribeSubnets': 'unscoped',
  'ec2:DescribeSecurityGroups': 'unscoped',
  'cloudwatch:PutMetricData': 'metrics',
  'sts:AssumeRole': 'role',
  'iam:PassRole': 'pass-role',
  'sagemaker:CreateTrainingJob': 'job',
  'sagemaker:CreateProcessingJob': 'job',
  'sagemaker:CreateTransformJob': 'job',
  'sagemaker:DescribeTrainingJob': 'job',
  'sagemaker:AddTags': 'job',
};

const SERVICE_RESOURCE_KINDS: Readonly<Record<string, ResourceKind>> = {
  kms: 'kms-key',
  logs: 'log-group',
  fsx: 'file-system',
  elasticfilesystem: 'file-system',
};

/** The CloudWatch namespace (and log group prefix) SageMaker uses for each job type. */
const NAMESPACES: Readonly<Record<JobType, string>> = {
  training: '/aws/sagemaker/TrainingJobs',
  processing: '/aws/sagemaker/ProcessingJobs',
  transform: '/aws/sagemaker/TransformJobs',
  // A tuning job's training jobs log as training jobs.
  tuning: '/aws/sagemaker/TrainingJobs',
  endpoint: '/aws/sagemaker/Endpoints',
};

/** Endpoints log to a group of their own; jobs share one group per type. */
const logGroupOf = (job: JobContext | undefined): string => {
  const namespace = NAMESPACES[job?.jobType ?? 'training'];
  return job?.jobType === 'endpoint' ? `${namespace}/${job.jobName ?? '<endpoint-name>'}` : namespace;
};

/** Everything scoping needs: the job (possibly absent) and what the message names. */
export interface ScopeInput {
  readonly job?: JobContext;
  readonly channel: Channel;
  /** The resource the AccessDenied statement names, or an S3 URI from the text. */
  readonly messageResource?: string;
  /** The principal the message names, for its account. */
  readonly principalArn?: string;
}

const serviceOf = (action: string): string => action.slice(0, action.indexOf(':'));
const resourceKindOf = (action: string): ResourceKind | undefined =>
  RESOURCE_KINDS[action] ?? SERVICE_RESOURCE_KINDS[serviceOf(action)];

const S3_CHANNELS: ReadonlySet<Channel> = new Set(
  COMPANION_GROUPS.filter((group) => group.actions.some((a) => a.startsWith('s3:'))).map((g) => g.channel),
);

/** The job's S3 location that contains an S3 resource ARN or URI, if any. */
function jobLocationOf(job: JobContext | undefined, resource: string | undefined): S3Location | undefined {
  const target = resource ? s3TargetOf(resource) : undefined;
  if (!job || !target) return undefined;
  return job.s3Locations.find(
    (location) =>
      location.bucket === target.bucket &&
      (location.prefix === '' ||
        target.key === location.prefix ||
        target.key.startsWith(location.isObject ? location.prefix : `${location.prefix}/`)),
  );
}

function s3TargetOf(resource: string): { bucket: string; key: string } | undefined {
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)\/?(.*)$/.exec(resource);
  if (match?.[1]) return { bucket: match[1], key: match[2] ?? '' };
  const location = parseS3Uri(resource, CHANNELS.namedAction);
  return location ? { bucket: location.bucket, key: location.prefix } : undefined;
}

/**
 * The channel a named action belongs to: the job location its S3 resource lies in, the channel of
 * its companion group, or its service; `named-action` when nothing claims it.
 */
export function channelOfAction(action: string, resource: string | undefined, job?: JobContext): Channel {
  if (action.startsWith('s3:')) return jobLocationOf(job, resource)?.channel ?? CHANNELS.namedAction;
  return (
    COMPANION_GROUPS.find((group) => group.actions.includes(action))?.channel ??
    ACTION_CHANNELS[action] ??
    SERVICE_CHANNELS[serviceOf(action)] ??
    CHANNELS.namedAction
  );
}

/** True when the channel's companion groups include the action. */
export const channelCovers = (channel: Channel, action: string): boolean =>
  COMPANION_GROUPS.some((group) => group.channel === channel && group.actions.includes(action));

/** The actions to grant for one denied action: its companion group on identity-policy fixes. */
export function withCompanions(action: string, channel: Channel): readonly string[] {
  return (
    COMPANION_GROUPS.find((group) => group.channel === channel && group.actions.includes(action))
      ?.actions ?? [action]
  );
}

/** Account, region and partition for ARNs we build: the job's, else the message's, else placeholders. */
function arnEnvironment(input: ScopeInput) {
  const fromMessage = [input.messageResource, input.principalArn]
    .map((arn) => (arn ? parseArn(arn) : undefined))
    .find((parts) => parts?.accountId && parts.accountId !== 'aws');
  const known = Boolean(input.job?.accountId ?? fromMessage?.accountId);
  return {
    partition: input.job?.partition ?? fromMessage?.partition ?? 'aws',
    region: input.job?.region ?? (fromMessage?.region || '<region>'),
    account: input.job?.accountId ?? fromMessage?.accountId ?? '<account-id>',
    source: (input.job?.accountId ? 'job' : known ? 'message' : 'placeholder') as ResourceSource,
  };
}

type ArnEnvironment = ReturnType<typeof arnEnvironment>;

interface Scoped {
  readonly resources: readonly string[];
  readonly condition?: PolicyCondition;
  readonly resourceSource: ResourceSource;
}

const placeholder = (...resources: string[]): Scoped => ({ resources, resourceSource: 'placeholder' });

/** The S3 locations a channel covers: the job's own, else the one the message names. */
function s3LocationsFor(input: ScopeInput): { locations: S3Location[]; source: ResourceSource } {
  const own = input.job?.s3Locations.filter((location) => location.channel === input.channel) ?? [];
  if (own.length > 0 && S3_CHANNELS.has(input.channel)) return { locations: own, source: 'job' };
  const target = input.messageResource ? s3TargetOf(input.messageResource) : undefined;
  if (!target) return { locations: [], source: 'placeholder' };
  // A message names one object; its folder is the prefix the job reads or writes.
  const prefix = target.key.includes('/') ? target.key.slice(0, target.key.lastIndexOf('/')) : '';
  return {
    locations: [{ channel: input.channel, uri: '', bucket: target.bucket, prefix, isObject: false }],
    source: 'message',
  };
}

function s3ObjectScope(input: ScopeInput, partition: string): Scoped {
  const { locations, source } = s3LocationsFor(input);
  if (locations.length === 0) return placeholder(`arn:${partition}:s3:::<bucket>/<prefix>/*`);
  const resources = locations.map((l) =>
    l.isObject
      ? `arn:${partition}:s3:::${l.bucket}/${l.prefix}`
      : `arn:${partition}:s3:::${l.bucket}/${l.prefix ? `${l.prefix}/` : ''}*`,
  );
  return { resources: [...new Set(resources)], resourceSource: source };
}

/** ListBucket is granted per bucket, limited to the job's prefixes with an `s3:prefix` condition. */
function s3ListScopes(input: ScopeInput, partition: string): Scoped[] {
  const { locations, source } = s3LocationsFor(input);
  if (locations.length === 0) return [placeholder(`arn:${partition}:s3:::<bucket>`)];
  const prefixesByBucket = new Map<string, Set<string>>();
  for (const l of locations) {
    const prefixes = prefixesByBucket.get(l.bucket) ?? new Set<string>();
    if (l.prefix) [l.prefix, ...(l.isObject ? [] : [`${l.prefix}/*`])].forEach((p) => prefixes.add(p));
    prefixesByBucket.set(l.bucket, prefixes);
  }
  return [...prefixesByBucket].map(([bucket, prefixes]) => ({
    resources: [`arn:${partition}:s3:::${bucket}`],
    condition: prefixes.size > 0 ? { StringLike: { 's3:prefix': [...prefixes] } } : undefined,
    resourceSource: source,
  }));
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@\s]+)/;

function ecrScope(input: ScopeInput, partition: string): Scoped {
  const repositories = (input.job?.images ?? []).flatMap((image) => {
    const match = ECR_IMAGE.exec(image);
    return match ? [`arn:${partition}:ecr:${match[2]}:${match[1]}:repository/${match[3]}`] : [];
  });
  if (repositories.length > 0) return { resources: repositories, resourceSource: 'job' };
  if (input.messageResource?.includes(':repository/')) {
    // `repository: R in registry ID: A` names no region: the ARN keeps a `<region>` to fill in.
    const source = input.messageResource.includes('<') ? 'placeholder' : 'message';
    return { resources: [input.messageResource], resourceSource: source };
  }
  return placeholder(`arn:${partition}:ecr:<region>:<account-id>:repository/<repository>`);
}

/** A key id, key ARN, alias name or alias ARN from the job's configuration, as policy resources. */
function kmsKeyScope(keyId: string, env: ArnEnvironment): Scoped {
  const alias = /(?:^|:)(alias\/.+)$/.exec(keyId)?.[1];
  if (alias) {
    // An identity policy cannot name an alias ARN for key use: match the key by its alias instead.
    return {
      resources: [`arn:${env.partition}:kms:${env.region}:${env.account}:key/*`],
      condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } },
      resourceSource: 'job',
    };
  }
  const arn = keyId.startsWith('arn:')
    ? keyId
    : `arn:${env.partition}:kms:${env.region}:${env.account}:key/${keyId}`;
  return { resources: [arn], resourceSource: 'job' };
}

const keyIdOf = (keyRef: string): string => keyRef.slice(keyRef.lastIndexOf('/') + 1);

function kmsScopes(input: ScopeInput, env: ArnEnvironment): Scoped[] {
  const jobKeys = input.job?.kmsKeys ?? [];
  const named = input.messageResource?.includes(':key/') ? input.messageResource : undefined;
  const matching = named ? jobKeys.filter((key) => keyIdOf(key.keyId) === keyIdOf(named)) : jobKeys;
  if (matching.length > 0)
    return [...new Map(matching.map((k) => [k.keyId, kmsKeyScope(k.keyId, env)])).values()];
  if (named) return [{ resources: [named], resourceSource: 'message' }];
  return [placeholder(`arn:${env.partition}:kms:${env.region}:${env.account}:key/<key-id>`)];
}

function eniScope(input: ScopeInput, env: ArnEnvironment, withNetwork: boolean): Scoped {
  const prefix = `arn:${env.partition}:ec2:${env.region}:${env.account}`;
  const eni = `${prefix}:network-interface/*`;
  if (!withNetwork) return { resources: [eni], resourceSource: env.source };
  const subnets = input.job?.subnets ?? [];
  const groups = input.job?.securityGroups ?? [];
  if (subnets.length > 0) {
    return {
      resources: [
        eni,
        ...subnets.map((s) => `${prefix}:subnet/${s}`),
        ...groups.map((g) => `${prefix}:security-group/${g}`),
      ],
      resourceSource: 'job',
    };
  }
  const namedSubnet = input.messageResource?.includes(':subnet/') ? [input.messageResource] : [];
  return {
    resources: [
      eni,
      ...(namedSubnet.length > 0 ? namedSubnet : [`${prefix}:subnet/<subnet-id>`]),
      `${prefix}:security-group/<security-group-id>`,
    ],
    resourceSource: namedSubnet.length > 0 ? 'message' : 'placeholder',
  };
}

function roleScope(input: ScopeInput): Scoped {
  if (input.job?.roleArn) return { resources: [input.job.roleArn], resourceSource: 'job' };
  const named = input.messageResource?.includes(':role/') ? input.messageResource : undefined;
  return named
    ? { resources: [named], resourceSource: 'message' }
    : placeholder('arn:aws:iam::<account-id>:role/<execution-role>');
}

const messageScope = (input: ScopeInput): Scoped =>
  input.messageResource && input.messageResource !== '*'
    ? { resources: [input.messageResource], resourceSource: 'message' }
    : placeholder('<resource named in the AccessDenied message>');

function scopesFor(kind: ResourceKind | undefined, input: ScopeInput, env: ArnEnvironment): Scoped[] {
  const jobType = input.job?.jobType ?? 'training';
  switch (kind) {
    case 's3-object':
      return [s3ObjectScope(input, env.partition)];
    case 's3-list':
      return s3ListScopes(input, env.partition);
    case 'ecr-repository':
      return [ecrScope(input, env.partition)];
    case 'kms-key':
      return kmsScopes(input, env);
    case 'log-group': {
      const group = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${logGroupOf(input.job)}`;
      return [{ resources: [group, `${group}:log-stream:*`], resourceSource: env.source }];
    }
    case 'eni-create':
      return [eniScope(input, env, true)];
    case 'eni':
      return [eniScope(input, env, false)];
    case 'unscoped':
      return [{ resources: ['*'], resourceSource: 'not-resource-scoped' }];
    case 'metrics':
      // PutMetricData cannot be scoped by resource; the namespace condition keeps it to SageMaker's.
      return [
        {
          resources: ['*'],
          condition: { StringEquals: { 'cloudwatch:namespace': [NAMESPACES[jobType]] } },
          resourceSource: 'not-resource-scoped',
        },
      ];
    case 'file-system': {
      const own = input.job?.fileSystems.filter((fs) =>
        input.channel === CHANNELS.efs ? fs.type === 'efs' : fs.type === 'fsx',
      );
      const service = input.channel === CHANNELS.efs ? 'elasticfilesystem' : 'fsx';
      if (own && own.length > 0) {
        return [
          {
            resources: own.map(
              (fs) => `arn:${env.partition}:${service}:${env.region}:${env.account}:file-system/${fs.id}`,
            ),
            resourceSource: 'job',
          },
        ];
      }
      return [messageScope(input)];
    }
    case 'role':
      return [roleScope(input)];
    case 'pass-role':
      return [
        {
          ...roleScope(input),
          condition: { StringEquals: { 'iam:PassedToService': ['sagemaker.amazonaws.com'] } },
        },
      ];
    case 'job':
      return [
        {
          resources: [
            `arn:${env.partition}:sagemaker:${env.region}:${env.account}:${JOB_ARN_TYPES[jobType]}/*`,
          ],
          resourceSource: env.source,
        },
      ];
    case undefined:
      return [messageScope(input)];
  }
}

/** Grants for the actions of one finding, one per distinct resource scope. */
export function grantsFor(actions: readonly string[], input: ScopeInput): Grant[] {
  const grants = new Map<string, Grant>();
  const env = arnEnvironment(input);
  for (const action of actions) {
    for (const scope of scopesFor(resourceKindOf(action), input, env)) {
      const key = JSON.stringify([scope.resources, scope.condition ?? null]);
      const existing = grants.get(key);
      // One object shape for every grant keeps the property accesses downstream monomorphic.
      grants.set(key, {
        actions: existing ? [...existing.actions, action] : [action],
        resources: scope.resources,
        condition: scope.condition,
        resourceSource: scope.resourceSource,
      });
    }
  }
  return [...grants.values()];
}
