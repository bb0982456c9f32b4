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

/**
 * A string from the job or the text as IAM reads it literally inside a Resource or a condition value:
 * IAM expands `${...}` policy variables and matches `*` and `?` as wildcards, so each `$`, `*` and `?`
 * becomes its escape (`${$}`, `${*}`, `${?}`). Every piece of data a resource is built from passes
 * here; the `*` a scope adds itself (`prefix/*`, `key/*`) does not. The guard refuses any resource
 * that still holds `${`, so such data is shown as what it is and never applied.
 */
export const iamLiteral = (data: string): string => data.replace(/[$*?]/g, (c) => `\${${c}}`);

/** Endpoints log to a group of their own; jobs share one group per type. */
export const logGroupOf = (job: JobContext | undefined): string => {
  const namespace = JOB_TYPES[job?.jobType ?? 'training'].cloudWatchNamespace;
  return job?.jobType === 'endpoint'
    ? `${namespace}/${job.jobName ? iamLiteral(job.jobName) : '<endpoint-name>'}`
    : namespace;
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
  return locationContaining(job?.s3Locations ?? [], resource);
}

function locationContaining(
  locations: readonly S3Location[],
  resource: string | undefined,
): S3Location | undefined {
  const target = resource ? s3TargetOf(resource) : undefined;
  if (!target) return undefined;
  return locations.find(
    (location) =>
      location.bucket === target.bucket &&
      (location.prefix === '' ||
        target.key === location.prefix ||
        target.key.startsWith(location.isObject ? location.prefix : `${location.prefix}/`)),
  );
}

function s3TargetOf(resource: string): { bucket: string; key: string } | undefined {
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(resource);
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
  const region = input.job?.region ?? fromMessage?.region;
  const account = input.job?.accountId ?? fromMessage?.accountId;
  return {
    partition: input.job?.partition ?? fromMessage?.partition ?? 'aws',
    region: region ? iamLiteral(region) : '<region>',
    account: account ? iamLiteral(account) : '<account-id>',
    source: (input.job?.accountId ? 'job' : known ? 'message' : 'placeholder') as ResourceSource,
  };
}

type ArnEnvironment = ReturnType<typeof arnEnvironment>;

interface Scoped {
  readonly resources: readonly string[];
  readonly condition?: PolicyCondition;
  readonly resourceSource: ResourceSource;
  readonly reason?: string;
}

const placeholder = (...resources: string[]): Scoped => ({ resources, resourceSource: 'placeholder' });

/** A wildcard in a resource the text names would grant whatever the text wants: never used. */
export const hasWildcard = (resource: string): boolean => /[*?]/.test(resource);

const WILDCARD_PLACEHOLDER = '<the message names a wildcard resource: name the exact resource>';
const WILDCARD_REASON =
  'the message names its resource with a wildcard (* or ?); a wildcard from failure text is never granted';

/** Says why a resource the message names is proposed although the job's configuration does not name it. */
const notInJob = (resource: string): string =>
  `the message names ${resource}, which the job's configuration does not: proposed as named, for a human to judge`;

/** A resource the message names, proposed as what it is. */
const named = (resource: string): Scoped => ({
  resources: [iamLiteral(resource)],
  resourceSource: 'message',
  reason: notInJob(resource),
});

/** The artifacts SageMaker writes as `<S3OutputPath>/<job name>/output/<artifact>`. */
const JOB_ARTIFACTS: ReadonlySet<string> = new Set(['model.tar.gz', 'output.tar.gz']);

/**
 * The prefix to grant for one object a message names: its folder, except under a job's own folder.
 * SageMaker writes under `<S3OutputPath>/<job name>/`, and a rerun gets a new name: the grant goes on
 * the S3OutputPath, found from the job's name or, from the text alone, from the artifact's path.
 */
function stablePrefixOf(key: string, jobName: string | undefined): string {
  const jobFolder = jobName ? `/${key}`.lastIndexOf(`/${jobName}/`) : -1;
  if (jobFolder >= 0) return key.slice(0, Math.max(0, jobFolder - 1));
  const segments = key.split('/');
  if (segments.length >= 3 && segments.at(-2) === 'output' && JOB_ARTIFACTS.has(segments.at(-1) ?? ''))
    return segments.slice(0, -3).join('/');
  return segments.slice(0, -1).join('/');
}

/**
 * The S3 locations a channel covers: the job's own (the text may select among them), else the one
 * the message names, never the job's in place of another one the message names.
 */
function s3LocationsFor(input: ScopeInput): {
  locations: S3Location[];
  source: ResourceSource;
  reason?: string;
} {
  const own = input.job?.s3Locations.filter((location) => location.channel === input.channel) ?? [];
  const target = input.messageResource ? s3TargetOf(input.messageResource) : undefined;
  const namedOwn = !target || locationContaining(own, input.messageResource) !== undefined;
  if (own.length > 0 && S3_CHANNELS.has(input.channel) && namedOwn) return { locations: own, source: 'job' };
  if (!target) return { locations: [], source: 'placeholder' };
  const elsewhere = locationContaining(input.job?.s3Locations ?? [], input.messageResource);
  const prefix = stablePrefixOf(target.key, input.job?.jobName);
  return {
    locations: [{ channel: input.channel, uri: '', bucket: target.bucket, prefix, isObject: false }],
    source: 'message',
    reason:
      !input.job || !input.messageResource
        ? undefined
        : elsewhere
          ? `the message names ${input.messageResource}, which the job's configuration uses as ${elsewhere.channel}, not ${input.channel}: proposed as named, for a human to judge`
          : notInJob(input.messageResource),
  };
}

/** S3 ARNs carry no account: every S3 statement is bound to the bucket owner's account by condition. */
const resourceAccountCondition = (account: string): PolicyCondition => ({
  StringEquals: { 's3:ResourceAccount': [account] },
});

function s3ObjectScope(input: ScopeInput, env: ArnEnvironment): Scoped {
  const { locations, source, reason } = s3LocationsFor(input);
  if (locations.length === 0) return placeholder(`arn:${env.partition}:s3:::<bucket>/<prefix>/*`);
  const resources = locations.map((l) =>
    l.isObject
      ? `arn:${env.partition}:s3:::${iamLiteral(l.bucket)}/${iamLiteral(l.prefix)}`
      : `arn:${env.partition}:s3:::${iamLiteral(l.bucket)}/${l.prefix ? `${iamLiteral(l.prefix)}/` : ''}*`,
  );
  return {
    resources: [...new Set(resources)],
    condition: resourceAccountCondition(env.account),
    resourceSource: source,
    reason,
  };
}

/**
 * The `s3:prefix` values of one location: an object's key, or a folder bound with its `/` (a bare
 * `team-a` would also list `team-a-secret/`).
 */
export const listPrefixesOf = (location: S3Location): string[] => {
  const prefix = iamLiteral(location.prefix);
  return location.isObject ? [prefix] : [`${prefix}/`, `${prefix}/*`];
};

/** ListBucket is granted per bucket, limited to the job's prefixes with an `s3:prefix` condition. */
function s3ListScopes(input: ScopeInput, env: ArnEnvironment): Scoped[] {
  const { locations, source, reason } = s3LocationsFor(input);
  if (locations.length === 0) return [placeholder(`arn:${env.partition}:s3:::<bucket>`)];
  const prefixesByBucket = new Map<string, Set<string>>();
  for (const l of locations) {
    const prefixes = prefixesByBucket.get(l.bucket) ?? new Set<string>();
    if (l.prefix) listPrefixesOf(l).forEach((p) => prefixes.add(p));
    prefixesByBucket.set(l.bucket, prefixes);
  }
  return [...prefixesByBucket].map(([bucket, prefixes]) => ({
    resources: [`arn:${env.partition}:s3:::${iamLiteral(bucket)}`],
    condition: mergeConditions(
      prefixes.size > 0 ? { StringLike: { 's3:prefix': [...prefixes] } } : undefined,
      resourceAccountCondition(env.account),
    ),
    resourceSource: source,
    reason,
  }));
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@\s]+)/;

/** The ECR repositories of the job's images, as ARNs. */
export const repositoryArnsOf = (job: JobContext | undefined): string[] =>
  (job?.images ?? []).flatMap((image) => {
    const match = ECR_IMAGE.exec(image);
    return match
      ? [
          `arn:${job?.partition ?? 'aws'}:ecr:${match[2]}:${match[1]}:repository/${iamLiteral(match[3] ?? '')}`,
        ]
      : [];
  });

function ecrScope(input: ScopeInput, partition: string): Scoped {
  const repositories = repositoryArnsOf(input.job);
  const namedRepository = input.messageResource?.includes(':repository/') ? input.messageResource : undefined;
  if (namedRepository && !repositories.includes(namedRepository)) {
    // `repository: R in registry ID: A` names no region: the ARN keeps a `<region>` to fill in.
    return namedRepository.includes('<') ? placeholder(iamLiteral(namedRepository)) : named(namedRepository);
  }
  if (repositories.length > 0) return { resources: repositories, resourceSource: 'job' };
  return placeholder(`arn:${partition}:ecr:<region>:<account-id>:repository/<repository>`);
}

/** The alias name (`alias/x`) of an alias name or alias ARN; undefined for a key. */
export const aliasOf = (keyRef: string): string | undefined => /(?:^|:)(alias\/.+)$/.exec(keyRef)?.[1];

/** The partition, region and account of a key or alias ARN; the job's for a bare id or alias name. */
export function keyArnEnvironmentOf(
  keyRef: string,
  env: { readonly partition: string; readonly region: string; readonly account: string },
): { readonly partition: string; readonly region: string; readonly account: string } {
  const parts = keyRef.startsWith('arn:') ? parseArn(keyRef) : undefined;
  return parts
    ? { partition: parts.partition, region: parts.region, account: parts.accountId }
    : { partition: env.partition, region: env.region, account: env.account };
}

/** A key id, key ARN, alias name or alias ARN from the job's configuration, as policy resources. */
function kmsKeyScope(keyId: string, env: ArnEnvironment): Scoped {
  // No key id has a wildcard; one here came from request parameters someone wrote (CloudTrail).
  if (hasWildcard(keyId)) {
    return {
      ...placeholder(`arn:${env.partition}:kms:${env.region}:${env.account}:key/<key-id>`),
      reason: 'the job configuration names its key with a wildcard; a wildcard is never granted',
    };
  }
  const alias = aliasOf(keyId);
  if (alias) {
    // An identity policy cannot name an alias ARN for key use: match the key by its alias instead,
    // in the account and region the alias ARN names (another account's alias is not this one's).
    const { partition, region, account } = keyArnEnvironmentOf(keyId, env);
    return {
      resources: [`arn:${partition}:kms:${iamLiteral(region)}:${iamLiteral(account)}:key/*`],
      condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [iamLiteral(alias)] } },
      resourceSource: 'job',
    };
  }
  const arn = keyId.startsWith('arn:')
    ? iamLiteral(keyId)
    : `arn:${env.partition}:kms:${env.region}:${env.account}:key/${iamLiteral(keyId)}`;
  return { resources: [arn], resourceSource: 'job' };
}

const keyIdOf = (keyRef: string): string => keyRef.slice(keyRef.lastIndexOf('/') + 1);

function kmsScopes(input: ScopeInput, env: ArnEnvironment): Scoped[] {
  const jobKeys = input.job?.kmsKeys ?? [];
  const namedKey = input.messageResource?.includes(':key/') ? input.messageResource : undefined;
  const matching = namedKey ? jobKeys.filter((key) => keyIdOf(key.keyId) === keyIdOf(namedKey)) : jobKeys;
  if (matching.length > 0)
    return [...new Map(matching.map((k) => [k.keyId, kmsKeyScope(k.keyId, env)])).values()];
  if (namedKey) return [named(namedKey)];
  return [placeholder(`arn:${env.partition}:kms:${env.region}:${env.account}:key/<key-id>`)];
}

const ec2ArnPrefix = (env: {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}) => `arn:${env.partition}:ec2:${env.region}:${env.account}`;

/**
 * What binds the actions on existing network interfaces (delete, and the two permission actions) to
 * the interfaces in the job's subnets: `network-interface/*` alone is every interface of the account.
 */
export function jobSubnetCondition(job: JobContext | undefined): PolicyCondition | undefined {
  if (!job?.subnets.length || job.subnets.some(hasWildcard)) return undefined;
  const prefix = ec2ArnPrefix({
    partition: job.partition,
    region: iamLiteral(job.region ?? ''),
    account: iamLiteral(job.accountId ?? ''),
  });
  return { ArnEquals: { 'ec2:Subnet': job.subnets.map((s) => `${prefix}:subnet/${iamLiteral(s)}`) } };
}

function eniScope(input: ScopeInput, env: ArnEnvironment, withNetwork: boolean): Scoped {
  const prefix = ec2ArnPrefix(env);
  const eni = `${prefix}:network-interface/*`;
  if (!withNetwork) {
    const condition = jobSubnetCondition(input.job);
    return condition
      ? { resources: [eni], condition, resourceSource: env.source }
      : {
          resources: [eni],
          condition: { ArnEquals: { 'ec2:Subnet': [`${prefix}:subnet/<subnet-id>`] } },
          resourceSource: 'placeholder',
        };
  }
  const subnets = input.job?.subnets ?? [];
  const groups = input.job?.securityGroups ?? [];
  // No subnet or group id has a wildcard; one here came from request parameters someone wrote (CloudTrail).
  if ([...subnets, ...groups].some(hasWildcard)) {
    return {
      ...placeholder(eni, `${prefix}:subnet/<subnet-id>`, `${prefix}:security-group/<security-group-id>`),
      reason:
        'the job configuration names a subnet or security group with a wildcard; a wildcard is never granted',
    };
  }
  const namedSubnet = input.messageResource?.includes(':subnet/') ? input.messageResource : undefined;
  const foreignSubnet = namedSubnet && !subnets.some((s) => namedSubnet.endsWith(`:subnet/${s}`));
  if (subnets.length > 0 && !foreignSubnet) {
    return {
      resources: [
        eni,
        ...subnets.map((s) => `${prefix}:subnet/${iamLiteral(s)}`),
        ...groups.map((g) => `${prefix}:security-group/${iamLiteral(g)}`),
      ],
      resourceSource: 'job',
    };
  }
  return {
    resources: [
      eni,
      namedSubnet ? iamLiteral(namedSubnet) : `${prefix}:subnet/<subnet-id>`,
      `${prefix}:security-group/<security-group-id>`,
    ],
    resourceSource: namedSubnet ? 'message' : 'placeholder',
    reason: namedSubnet && input.job ? notInJob(namedSubnet) : undefined,
  };
}

function roleScope(input: ScopeInput): Scoped {
  const namedRole = input.messageResource?.includes(':role/') ? input.messageResource : undefined;
  const jobRole = input.job?.roleArn;
  if (jobRole && (!namedRole || namedRole === jobRole))
    return { resources: [iamLiteral(jobRole)], resourceSource: 'job' };
  if (namedRole)
    return jobRole ? named(namedRole) : { resources: [iamLiteral(namedRole)], resourceSource: 'message' };
  return placeholder('arn:aws:iam::<account-id>:role/<execution-role>');
}

const messageScope = (input: ScopeInput): Scoped =>
  input.messageResource
    ? { resources: [iamLiteral(input.messageResource)], resourceSource: 'message' }
    : placeholder('<resource named in the AccessDenied message>');

function scopesFor(kind: ResourceKind | undefined, input: ScopeInput, env: ArnEnvironment): Scoped[] {
  const jobType = input.job?.jobType ?? 'training';
  switch (kind) {
    case RESOURCE_KINDS.s3Object:
      return [s3ObjectScope(input, env)];
    case RESOURCE_KINDS.s3Bucket:
      return s3ListScopes(input, env);
    case RESOURCE_KINDS.ecrRepository:
      return [ecrScope(input, env.partition)];
    case RESOURCE_KINDS.kmsKey:
      return kmsScopes(input, env);
    case RESOURCE_KINDS.logGroup:
    case RESOURCE_KINDS.logGroupOnly: {
      const group = `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${logGroupOf(input.job)}`;
      const streams = kind === RESOURCE_KINDS.logGroup ? [`${group}:log-stream:*`] : [];
      return [{ resources: [group, ...streams], resourceSource: env.source }];
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
      const namedFs = input.messageResource?.includes(':file-system/') ? input.messageResource : undefined;
      if (own && own.length > 0 && (!namedFs || own.some((fs) => namedFs.endsWith(`/${fs.id}`)))) {
        return [
          {
            resources: own.map(
              (fs) =>
                `arn:${env.partition}:${service}:${env.region}:${env.account}:file-system/${iamLiteral(fs.id)}`,
            ),
            resourceSource: 'job',
          },
        ];
      }
      return [namedFs && own && own.length > 0 ? named(namedFs) : messageScope(input)];
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

/** Kinds whose resources never come from the message: SageMaker's own names or `*`. */
const UNNAMED_KINDS: ReadonlySet<ResourceKind | undefined> = new Set([
  RESOURCE_KINDS.none,
  RESOURCE_KINDS.metrics,
  RESOURCE_KINDS.logGroup,
  RESOURCE_KINDS.logGroupOnly,
  RESOURCE_KINDS.networkInterface,
  RESOURCE_KINDS.job,
]);

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
  const wildcard = input.messageResource !== undefined && hasWildcard(input.messageResource);
  const env = arnEnvironment(wildcard ? { ...input, messageResource: undefined } : input);
  for (const action of actions) {
    const required = actionRow(action)?.requiredCondition;
    const kind = resourceKindOf(action);
    // A wildcard the text names stays out of every policy: the resource becomes a placeholder, not the job's.
    const scopes: readonly Scoped[] =
      wildcard && !UNNAMED_KINDS.has(kind)
        ? [{ ...placeholder(WILDCARD_PLACEHOLDER), reason: WILDCARD_REASON }]
        : scopesFor(kind, input, env);
    for (const scoped of scopes) {
      const scope = required ? { ...scoped, condition: mergeConditions(scoped.condition, required) } : scoped;
      const key = JSON.stringify([scope.resources, scope.condition ?? null]);
      const existing = grants.get(key);
      // One object shape for every grant keeps the property accesses downstream monomorphic.
      grants.set(key, {
        actions: existing ? [...existing.actions, action] : [action],
        resources: scope.resources,
        condition: scope.condition,
        resourceSource: scope.resourceSource,
        reason: scope.reason,
      });
    }
  }
  return [...grants.values()];
}
