/**
 * Turns a channel and its actions into grants scoped to the job's own resources.
 *
 * Resources come from the job's configuration first. Text from the message is used only where the
 * job says nothing (and is marked `message`), and where neither says anything the grant carries a
 * visible placeholder (`placeholder`). `*` appears only for actions IAM cannot scope.
 */
import type { ResourceKind } from './actions.js';
import {
  actionChannelOf,
  actionRow,
  COMPANION_GROUPS,
  RESOURCE_KINDS,
  resourceKindOf,
  S3_CHANNELS,
} from './actions.js';
import { parseArn, parseS3Uri } from './job-context.js';
import { JOB_TYPES, jobArnOf } from './job-types.js';
import type { Channel, Grant, JobContext, PolicyCondition, ResourceSource, S3Location } from './types.js';
import { CHANNELS } from './types.js';

/** Endpoints log to a group of their own; jobs share one group per type. */
const logGroupOf = (job: JobContext | undefined): string => {
  const namespace = JOB_TYPES[job?.jobType ?? 'training'].cloudWatchNamespace;
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
    COMPANION_GROUPS.find((group) => (group.actions as readonly string[]).includes(action))?.channel ??
    actionChannelOf(action) ??
    CHANNELS.namedAction
  );
}

/** True when the channel's companion groups include the action. */
export const channelCovers = (channel: Channel, action: string): boolean =>
  COMPANION_GROUPS.some(
    (group) => group.channel === channel && (group.actions as readonly string[]).includes(action),
  );

/** The actions to grant for one denied action: its companion group on identity-policy fixes. */
export function withCompanions(action: string, channel: Channel): readonly string[] {
  return (
    COMPANION_GROUPS.find(
      (group) => group.channel === channel && (group.actions as readonly string[]).includes(action),
    )?.actions ?? [action]
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
    return { resources: [input.messageResource], resourceSource: 'message' };
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
    case RESOURCE_KINDS.s3Object:
      return [s3ObjectScope(input, env.partition)];
    case RESOURCE_KINDS.s3Bucket:
      return s3ListScopes(input, env.partition);
    case RESOURCE_KINDS.ecrRepository:
      return [ecrScope(input, env.partition)];
    case RESOURCE_KINDS.kmsKey:
      return kmsScopes(input, env);
    case RESOURCE_KINDS.logGroup: {
      const group = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${logGroupOf(input.job)}`;
      return [{ resources: [group, `${group}:log-stream:*`], resourceSource: env.source }];
    }
    case RESOURCE_KINDS.network:
      return [eniScope(input, env, true)];
    case RESOURCE_KINDS.networkInterface:
      return [eniScope(input, env, false)];
    case RESOURCE_KINDS.none:
      return [{ resources: ['*'], resourceSource: 'not-resource-scoped' }];
    case RESOURCE_KINDS.metrics:
      // PutMetricData cannot be scoped by resource; the namespace condition keeps it to SageMaker's.
      return [
        {
          resources: ['*'],
          condition: { StringEquals: { 'cloudwatch:namespace': [JOB_TYPES[jobType].cloudWatchNamespace] } },
          resourceSource: 'not-resource-scoped',
        },
      ];
    case RESOURCE_KINDS.fileSystem: {
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
    case RESOURCE_KINDS.role:
    case RESOURCE_KINDS.passRole:
      return [roleScope(input)];
    case RESOURCE_KINDS.job:
      return [
        {
          resources: [jobArnOf(jobType, env, '*')],
          resourceSource: env.source,
        },
      ];
    case undefined:
      return [messageScope(input)];
  }
}

/** Both conditions, operator by operator: every key of either must hold. */
export function mergeConditions(
  a: PolicyCondition | undefined,
  b: PolicyCondition | undefined,
): PolicyCondition | undefined {
  if (!a || !b) return a ?? b;
  const merged: Record<string, Record<string, readonly string[]>> = {};
  for (const condition of [a, b]) {
    for (const [operator, keys] of Object.entries(condition))
      merged[operator] = { ...merged[operator], ...keys };
  }
  return merged;
}

/** Grants for the actions of one finding, one per distinct resource scope. */
export function grantsFor(actions: readonly string[], input: ScopeInput): Grant[] {
  const grants = new Map<string, Grant>();
  const env = arnEnvironment(input);
  for (const action of actions) {
    const required = actionRow(action)?.requiredCondition;
    for (const scoped of scopesFor(resourceKindOf(action), input, env)) {
      const scope = required ? { ...scoped, condition: mergeConditions(scoped.condition, required) } : scoped;
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
