/**
 * THE action table: one row per IAM action the service may name in a policy, and everything the core
 * knows about it. Scoping reads the resource kind, diagnosis reads the companions and the channel, the
 * proposal reads whether an action widens privileges, and the guard reads which job-configuration
 * roles an action serves and whether it may ever be applied without a human. Nothing else keeps a
 * list of actions.
 */
import type { Channel, KmsKeyReference, PolicyCondition } from './types.js';
import { CHANNELS } from './types.js';

/** How a policy names the resources an action acts on. */
export const RESOURCE_KINDS = {
  /** Objects under a prefix (`arn:aws:s3:::bucket/prefix/*`) or one object. */
  s3Object: 's3-object',
  /** A bucket, narrowed to prefixes with `s3:prefix` (ListBucket). */
  s3Bucket: 's3-bucket',
  ecrRepository: 'ecr-repository',
  kmsKey: 'kms-key',
  /** The job's log group and its streams. */
  logGroup: 'log-group',
  /** The job's log group alone: CreateLogGroup acts on no stream. */
  logGroupOnly: 'log-group-only',
  /** CreateNetworkInterface: the new interface plus the job's subnets and security groups. */
  network: 'network',
  /** Network interfaces SageMaker created for the job. */
  networkInterface: 'network-interface',
  fileSystem: 'file-system',
  /** cloudwatch:PutMetricData: `*`, bounded by the namespace condition. */
  metrics: 'metrics',
  role: 'role',
  passRole: 'pass-role',
  job: 'job',
  /** IAM cannot scope the action to a resource: `*`. */
  none: 'none',
} as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[keyof typeof RESOURCE_KINDS];

/**
 * Resource kinds the operator must declare (GuardConfig `resourcePatterns`) before anything on them
 * is applied without a human. The others are bounded by the job's account and SageMaker's own naming
 * (its log groups, its metric namespace, the network interfaces in the job's subnets).
 */
export const DECLARED_RESOURCE_KINDS: ReadonlySet<ResourceKind> = new Set([
  RESOURCE_KINDS.s3Object,
  RESOURCE_KINDS.s3Bucket,
  RESOURCE_KINDS.ecrRepository,
  RESOURCE_KINDS.kmsKey,
]);

/** The role a resource plays in the job's configuration: what the job's configuration implies for it. */
export const CONFIG_ROLES = {
  inputRead: 'input-read',
  outputWrite: 'output-write',
  checkpoint: 'checkpoint',
  /** The key of the job's storage volumes (`ResourceConfig.VolumeKmsKeyId` and its kin). */
  volumeKey: 'volume-key',
  /** The key the job's output is encrypted with (`OutputDataConfig.KmsKeyId` and its kin). */
  outputKey: 'output-key',
  /** The key the job's input objects are encrypted with (their bucket's default encryption). */
  inputKey: 'input-key',
  imagePull: 'image-pull',
  vpc: 'vpc',
  logs: 'logs',
  metrics: 'metrics',
  fileSystem: 'file-system',
} as const;
export type ConfigRole = (typeof CONFIG_ROLES)[keyof typeof CONFIG_ROLES];

/** The configuration role of each S3 channel of a job: what SageMaker does with that location. */
export const S3_CHANNEL_ROLES: Readonly<Partial<Record<Channel, ConfigRole>>> = {
  [CHANNELS.inputData]: CONFIG_ROLES.inputRead,
  [CHANNELS.sourceCode]: CONFIG_ROLES.inputRead,
  [CHANNELS.modelData]: CONFIG_ROLES.inputRead,
  [CHANNELS.output]: CONFIG_ROLES.outputWrite,
  [CHANNELS.debuggerOutput]: CONFIG_ROLES.outputWrite,
  [CHANNELS.profilerOutput]: CONFIG_ROLES.outputWrite,
  [CHANNELS.tensorboardOutput]: CONFIG_ROLES.outputWrite,
  [CHANNELS.checkpoint]: CONFIG_ROLES.checkpoint,
};

/** The configuration role of each use of a KMS key in a job. */
export const KEY_ROLES: Readonly<Record<KmsKeyReference['use'], ConfigRole>> = {
  volume: CONFIG_ROLES.volumeKey,
  output: CONFIG_ROLES.outputKey,
  input: CONFIG_ROLES.inputKey,
};

export interface ActionRow {
  readonly resourceKind: ResourceKind;
  /** The configuration roles under which a job needs this action; the guard applies it under no other. */
  readonly serves: readonly ConfigRole[];
  /** Whether the guard may ever apply it without a human (still only under `serves`). */
  readonly mayAutoApply: boolean;
  /**
   * True when the action can widen the role's own power. Such an action is proposed only with its
   * `requiredCondition` (which removes the widening), and never at all when it has none.
   */
  readonly widensPrivilege: boolean;
  /** A condition every grant of the action carries. */
  readonly requiredCondition?: PolicyCondition;
  /** The channel a denial of the action belongs to when no S3 location or rule claims it. */
  readonly channel?: Channel;
  /**
   * Why a job needs the action under a role where AWS's list of execution-role permissions does not
   * name it (test/fixtures/preflight/documented-permissions.json): pre-flight shows it in the `why`.
   */
  readonly reasons?: Readonly<Partial<Record<ConfigRole, string>>>;
}

const row = (
  resourceKind: ResourceKind,
  serves: readonly ConfigRole[],
  extra: Partial<Omit<ActionRow, 'resourceKind' | 'serves'>> = {},
): ActionRow => ({ resourceKind, serves, mayAutoApply: serves.length > 0, widensPrivilege: false, ...extra });

const {
  inputRead,
  outputWrite,
  checkpoint,
  volumeKey,
  outputKey,
  inputKey,
  imagePull,
  vpc,
  logs,
  metrics,
  fileSystem,
} = CONFIG_ROLES;

/** The reason SageMaker's writes to S3 need more than s3:PutObject. */
const MULTIPART = 'multipart upload: SageMaker uploads large files in parts';
const MULTIPART_ABORT = `${MULTIPART}, and aborts an upload that fails`;

/** The table. An action a message names that is not here is proposed for a human, never applied. */
export const ACTIONS = {
  's3:GetObject': row(RESOURCE_KINDS.s3Object, [inputRead, checkpoint]),
  's3:ListBucket': row(RESOURCE_KINDS.s3Bucket, [inputRead, checkpoint]),
  's3:PutObject': row(RESOURCE_KINDS.s3Object, [outputWrite, checkpoint]),
  's3:AbortMultipartUpload': row(RESOURCE_KINDS.s3Object, [outputWrite, checkpoint], {
    reasons: { [outputWrite]: MULTIPART_ABORT, [checkpoint]: MULTIPART_ABORT },
  }),
  // SageMaker never deletes the job's data: a delete is someone's code, for a human to judge.
  's3:DeleteObject': row(RESOURCE_KINDS.s3Object, []),
  'ecr:GetAuthorizationToken': row(RESOURCE_KINDS.none, [imagePull]),
  'ecr:BatchCheckLayerAvailability': row(RESOURCE_KINDS.ecrRepository, [imagePull]),
  'ecr:BatchGetImage': row(RESOURCE_KINDS.ecrRepository, [imagePull]),
  'ecr:GetDownloadUrlForLayer': row(RESOURCE_KINDS.ecrRepository, [imagePull]),
  'kms:Decrypt': row(RESOURCE_KINDS.kmsKey, [volumeKey, outputKey, inputKey], {
    reasons: {
      [volumeKey]: 'storage volumes: the instances read back the data key their volume is encrypted with',
      [outputKey]: `${MULTIPART}: to an SSE-KMS location S3 reads the data key back to complete the upload`,
    },
  }),
  'kms:GenerateDataKey': row(RESOURCE_KINDS.kmsKey, [volumeKey, outputKey], {
    reasons: {
      [volumeKey]: 'storage volumes: each is encrypted with a data key generated under the key',
      [outputKey]: 'SSE-KMS: S3 encrypts each uploaded object with a data key generated under the key',
    },
  }),
  // The SageMaker API reference (OutputDataConfig.KmsKeyId, TransformOutput.KmsKeyId): with a key id
  // or alias, the execution role must be allowed kms:Encrypt.
  'kms:Encrypt': row(RESOURCE_KINDS.kmsKey, [outputKey], {
    reasons: {
      [outputKey]: 'output keys: SageMaker encrypts what it writes under the output key as the role',
    },
  }),
  // Without the condition a grant can hand the key to any principal.
  'kms:CreateGrant': row(RESOURCE_KINDS.kmsKey, [volumeKey, outputKey], {
    widensPrivilege: true,
    requiredCondition: { Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
    reasons: {
      [volumeKey]: 'grants for volume keys: the instances encrypt their storage volumes through a grant',
      [outputKey]:
        'grants: the AWS services that write the output use the key through a grant, and only they may',
    },
  }),
  'kms:DescribeKey': row(RESOURCE_KINDS.kmsKey, []),
  'logs:CreateLogGroup': row(RESOURCE_KINDS.logGroupOnly, [logs]),
  'logs:CreateLogStream': row(RESOURCE_KINDS.logGroup, [logs]),
  'logs:PutLogEvents': row(RESOURCE_KINDS.logGroup, [logs]),
  'logs:DescribeLogStreams': row(RESOURCE_KINDS.logGroup, [logs]),
  // Reading logs back is a person's need, not the job's.
  'logs:GetLogEvents': row(RESOURCE_KINDS.logGroup, []),
  'ec2:CreateNetworkInterface': row(RESOURCE_KINDS.network, [vpc]),
  'ec2:CreateNetworkInterfacePermission': row(RESOURCE_KINDS.networkInterface, [vpc]),
  'ec2:DeleteNetworkInterface': row(RESOURCE_KINDS.networkInterface, [vpc]),
  'ec2:DeleteNetworkInterfacePermission': row(RESOURCE_KINDS.networkInterface, [vpc]),
  'ec2:DescribeNetworkInterfaces': row(RESOURCE_KINDS.none, [vpc]),
  'ec2:DescribeVpcs': row(RESOURCE_KINDS.none, [vpc]),
  'ec2:DescribeDhcpOptions': row(RESOURCE_KINDS.none, [vpc]),
  'ec2:DescribeSubnets': row(RESOURCE_KINDS.none, [vpc]),
  'ec2:DescribeSecurityGroups': row(RESOURCE_KINDS.none, [vpc]),
  'fsx:DescribeFileSystems': row(RESOURCE_KINDS.fileSystem, [fileSystem]),
  'elasticfilesystem:DescribeMountTargets': row(RESOURCE_KINDS.fileSystem, [fileSystem]),
  'elasticfilesystem:DescribeFileSystems': row(RESOURCE_KINDS.fileSystem, [fileSystem]),
  'cloudwatch:PutMetricData': row(RESOURCE_KINDS.metrics, [metrics]),
  'sts:AssumeRole': row(RESOURCE_KINDS.role, [], { widensPrivilege: true }),
  // SageMaker callers need it; the condition keeps the role from being passed to anything else.
  'iam:PassRole': row(RESOURCE_KINDS.passRole, [], {
    widensPrivilege: true,
    requiredCondition: { StringEquals: { 'iam:PassedToService': ['sagemaker.amazonaws.com'] } },
    channel: CHANNELS.jobSubmission,
  }),
  'sagemaker:CreateTrainingJob': row(RESOURCE_KINDS.job, [], { channel: CHANNELS.jobSubmission }),
  'sagemaker:CreateProcessingJob': row(RESOURCE_KINDS.job, [], { channel: CHANNELS.jobSubmission }),
  'sagemaker:CreateTransformJob': row(RESOURCE_KINDS.job, [], { channel: CHANNELS.jobSubmission }),
  'sagemaker:DescribeTrainingJob': row(RESOURCE_KINDS.job, []),
  'sagemaker:AddTags': row(RESOURCE_KINDS.job, [], { channel: CHANNELS.jobSubmission }),
} as const satisfies Record<string, ActionRow>;
export type ActionName = keyof typeof ACTIONS;

/**
 * Services whose actions are not rows: the resource kind and channel of any action a message names
 * in them, and whether the whole service can widen the role's power.
 */
const SERVICES: Readonly<
  Record<string, { readonly kind?: ResourceKind; readonly channel?: Channel; readonly widens?: boolean }>
> = {
  kms: { kind: RESOURCE_KINDS.kmsKey, channel: CHANNELS.kms },
  ecr: { channel: CHANNELS.ecrImage },
  logs: { kind: RESOURCE_KINDS.logGroup, channel: CHANNELS.cloudwatchLogs },
  cloudwatch: { channel: CHANNELS.cloudwatchMetrics },
  fsx: { kind: RESOURCE_KINDS.fileSystem, channel: CHANNELS.fsx },
  elasticfilesystem: { kind: RESOURCE_KINDS.fileSystem, channel: CHANNELS.efs },
  iam: { widens: true },
  sts: { widens: true },
  organizations: { widens: true },
};

export const serviceOf = (action: string): string => action.slice(0, action.indexOf(':'));

/** The row of an action, or undefined for an action the table does not know. */
export const actionRow = (action: string): ActionRow | undefined =>
  Object.hasOwn(ACTIONS, action) ? ACTIONS[action as ActionName] : undefined;

/** How an action is scoped; undefined: to the resource the message names. */
export const resourceKindOf = (action: string): ResourceKind | undefined =>
  actionRow(action)?.resourceKind ?? SERVICES[serviceOf(action)]?.kind;

/** The channel an action's denial belongs to by the action or its service alone. */
export const actionChannelOf = (action: string): Channel | undefined =>
  actionRow(action)?.channel ?? SERVICES[serviceOf(action)]?.channel;

/**
 * True when an action is never proposed: it can widen the role's power and no condition removes
 * that (iam:*, sts:*, organizations:*, except iam:PassRole and kms:CreateGrant, always conditioned).
 */
export function isEscalation(action: string): boolean {
  const known = actionRow(action);
  if (known) return known.widensPrivilege && !known.requiredCondition;
  return SERVICES[serviceOf(action)]?.widens === true;
}

/** Actions the guard may ever apply without a human. */
export const AUTO_APPLY_ALLOWLIST: ReadonlySet<string> = new Set(
  Object.entries(ACTIONS)
    .filter(([, entry]) => entry.mayAutoApply)
    .map(([action]) => action),
);

const actionsServing = (role: ConfigRole): ActionName[] =>
  (Object.keys(ACTIONS) as ActionName[]).filter((action) =>
    (ACTIONS[action].serves as readonly ConfigRole[]).includes(role),
  );

/** What pulling a private ECR image takes. */
export const ECR_PULL_ACTIONS: readonly ActionName[] = actionsServing(CONFIG_ROLES.imagePull);

/** What SageMaker needs to attach a job's instances to its VPC. */
export const ENI_ACTIONS: readonly ActionName[] = actionsServing(CONFIG_ROLES.vpc);

/** Actions a senior engineer grants together: when one of a group is missing, the rest usually are. */
export const COMPANION_GROUPS: readonly {
  readonly channel: Channel;
  readonly actions: readonly ActionName[];
}[] = [
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
  {
    channel: CHANNELS.cloudwatchLogs,
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  },
  { channel: CHANNELS.cloudwatchLogs, actions: ['logs:DescribeLogStreams', 'logs:GetLogEvents'] },
];

/** Channels whose companions are S3 actions: their resources are the job's S3 locations. */
export const S3_CHANNELS: ReadonlySet<Channel> = new Set(
  COMPANION_GROUPS.filter((group) => group.actions.some((a) => serviceOf(a) === 's3')).map((g) => g.channel),
);
