/**
 * Pre-flight: what a SageMaker job's execution role needs, read from the job's configuration before
 * the job runs, and what a simulation of the role's policies predicts from it. Pure.
 *
 * The requirements are the after-the-fact scoping run forwards: every role the configuration gives a
 * resource (an input channel, the output path, a key, an image, a subnet, the log group) is scoped by
 * {@link grantsFor} exactly as a diagnosis would scope a failure on it, so a fix proposed after a
 * failure is always part of what pre-flight requires.
 */
import { InvalidInputError } from './errors.js';
import { jobContextFromDescription, parseArn, pascalKeys } from './job-context.js';
import {
  API_CALL_DETAIL_TYPE,
  JOB_TYPE_NAMES,
  JOB_TYPES,
  jobTypeOfDetailType,
  SAGEMAKER_EVENT_SOURCE,
} from './job-types.js';
import type { FixProposal } from './propose.js';
import { propose } from './propose.js';
import { renderText } from './render.js';
import type { ConfigRole } from './actions.js';
import { ACTIONS, actionRow, CONFIG_ROLES, KEY_ROLES, S3_CHANNEL_ROLES, serviceOf } from './actions.js';
import { grantsFor } from './scope.js';
import type {
  Channel,
  Finding,
  FixLocation,
  JobContext,
  JobType,
  PermissionDiagnosis,
  PolicyCondition,
} from './types.js';
import { CHANNELS, FIX_LOCATIONS } from './types.js';

/** The service principal that assumes a job's execution role. */
export const SAGEMAKER_PRINCIPAL = 'sagemaker.amazonaws.com';

/**
 * The calls that make what an endpoint runs: its model (role, images, model data, network) and the
 * configuration that hosts it (the volume key). Pre-flight checks a model as the endpoint it serves.
 */
export const MODEL_CALLS = { model: 'CreateModel', endpointConfig: 'CreateEndpointConfig' } as const;

/**
 * The Create calls pre-flight checks at submission, by job type: each job type's own Create call,
 * and CreateModel for endpoints.
 */
export const PREFLIGHT_CALLS: Readonly<Record<JobType, string>> = Object.fromEntries(
  JOB_TYPE_NAMES.map((type) => [
    type,
    (JOB_TYPES[type] as { createCall?: string }).createCall ?? MODEL_CALLS.model,
  ]),
) as Record<JobType, string>;

/** One action the execution role needs on one resource, and the part of the configuration that needs it. */
export interface RequiredPermission {
  readonly action: string;
  readonly resource: string;
  readonly condition?: PolicyCondition;
  /** The configuration field and value that make the job need it. */
  readonly why: string;
  readonly channel: Channel;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/** Where a job to check may come from, besides its own configuration. */
export interface PreflightOverrides {
  /** The execution role to check instead of the configuration's. */
  readonly roleArn?: string;
  /** The region the job runs in, when neither a job ARN nor an ECR image says. */
  readonly region?: string;
}

/**
 * The CloudTrail record an input carries, if any: the detail of its EventBridge event, the record
 * itself, or the one record of a CloudTrail log file (`{"Records": [...]}`).
 */
function cloudTrailRecordOf(input: Json): Json | undefined {
  if (input['detail-type'] === API_CALL_DETAIL_TYPE && isObject(input.detail)) return input.detail;
  if (Array.isArray(input.Records)) {
    const [record, ...others] = input.Records as unknown[];
    if (!isObject(record) || others.length > 0)
      throw new InvalidInputError(
        `the CloudTrail log holds ${input.Records.length} records; pass the one of the job's Create call`,
      );
    return record;
  }
  return str(input.eventName) && str(input.eventSource) ? input : undefined;
}

/**
 * The job a pre-flight check is about, from a Create*Job request (as the SDKs and
 * `aws sagemaker create-training-job --cli-input-json` take it), a Describe*Job output or the state
 * change event that carries one, or the CloudTrail record (or its EventBridge event) of a successful
 * Create*Job call (camelCase request parameters, the job's ARN in the response). The account is the role's; the region the job ARN's, else the overrides', else the
 * ECR image's.
 * @throws InvalidInputError when the input names no job pre-flight can check, or no role.
 */
export function jobToCheck(input: unknown, overrides: PreflightOverrides = {}): JobContext {
  if (!isObject(input)) throw new InvalidInputError('the job configuration is not a JSON object');
  const detail = cloudTrailRecordOf(input);
  if (detail && !Object.values(PREFLIGHT_CALLS).includes(str(detail.eventName) ?? '')) {
    throw new InvalidInputError(
      `not a call pre-flight checks (${String(detail.eventName)}; checked: ${[...new Set(Object.values(PREFLIGHT_CALLS))].join(', ')})`,
    );
  }
  if (detail && str(detail.errorCode)) {
    throw new InvalidInputError(`the ${String(detail.eventName)} call failed (${String(detail.errorCode)})`);
  }
  // A job state change event carries the job's Describe*Job output as its detail.
  const stateChange =
    input.source === SAGEMAKER_EVENT_SOURCE &&
    jobTypeOfDetailType(str(input['detail-type'])) !== undefined &&
    isObject(input.detail);
  const request: unknown = detail ? pascalKeys(detail.requestParameters) : stateChange ? input.detail : input;
  const response: unknown = detail ? pascalKeys(detail.responseElements) : undefined;
  const submitted = { ...(isObject(request) ? request : {}), ...(isObject(response) ? response : {}) };
  const configuration = endpointOfModel(submitted) ?? submitted;
  const { context } = jobContextFromDescription(configuration, {
    region: str(detail?.awsRegion) ?? str(input.region),
    account: str(detail?.recipientAccountId) ?? str(input.account),
  });
  const roleArn = overrides.roleArn ?? context.roleArn;
  const role = roleArn ? parseArn(roleArn) : undefined;
  if (!roleArn || role?.service !== 'iam' || !/^role\//.test(role.resource)) {
    throw new InvalidInputError(
      roleArn ? `${roleArn} is not an IAM role ARN` : 'the job names no execution role: pass --role ARN',
    );
  }
  const imageRegion = context.images.map((image) => ecrRepositoryOf(image)?.region).find(Boolean);
  const name = context.jobName ?? str(configuration[JOB_TYPES[context.jobType].nameField]);
  return {
    ...context,
    origin: 'api-call',
    jobName: name,
    roleArn,
    partition: role.partition,
    accountId: role.accountId,
    region: context.jobArn ? context.region : (overrides.region ?? context.region ?? imageRegion),
  };
}

/**
 * A CreateModel request, alone or as `{CreateModel, CreateEndpointConfig}`, as the description of
 * the endpoint it will serve (the shape the remediator's describer builds from DescribeModel);
 * undefined for anything else.
 */
function endpointOfModel(input: Json): Json | undefined {
  const model = isObject(input[MODEL_CALLS.model])
    ? input[MODEL_CALLS.model]
    : str(input.ModelName) && str(input.ExecutionRoleArn)
      ? input
      : undefined;
  if (!isObject(model)) return undefined;
  const hosting = input[MODEL_CALLS.endpointConfig];
  const config: Json = isObject(hosting) ? hosting : {};
  return {
    [JOB_TYPES.endpoint.nameField]: str(config.EndpointConfigName) ?? str(model.ModelName) ?? 'model',
    EndpointConfigKmsKeyId: config.KmsKeyId,
    Models: [model],
  };
}

/** The actions the action table says a configuration role needs, on the service holding the resource. */
const actionsServing = (role: ConfigRole, service?: string): string[] =>
  Object.entries(ACTIONS)
    .filter(
      ([action, row]) =>
        (row.serves as readonly ConfigRole[]).includes(role) && (!service || serviceOf(action) === service),
    )
    .map(([action]) => action);

/** One part of the configuration that gives a resource a role, as a slice of the job. */
interface Need {
  readonly channel: Channel;
  readonly role: ConfigRole;
  /** The service of the resource, where the role spans several (FSx, EFS). */
  readonly service?: string;
  readonly job: JobContext;
  readonly why: string;
  /** A narrower why for one resource (the S3 location it lies in); the need's why otherwise. */
  readonly whyOf?: (resource: string) => string;
}

/** What each S3 channel does with its location (the output's words are the job type's). */
const S3_USES: Readonly<Partial<Record<Channel, string>>> = {
  [CHANNELS.inputData]: 'reads input data from',
  [CHANNELS.sourceCode]: 'reads the source code',
  [CHANNELS.checkpoint]: 'reads and writes checkpoints at',
  [CHANNELS.debuggerOutput]: 'writes Debugger output to',
  [CHANNELS.profilerOutput]: 'writes profiler output to',
  [CHANNELS.tensorboardOutput]: 'writes TensorBoard output to',
  [CHANNELS.modelData]: 'reads model data from',
};

/** What each S3 channel does with its location, for the `why` of a requirement, in the job type's words. */
const s3UseOf = (channel: Channel, jobType: JobType): string =>
  ({
    ...S3_USES,
    [CHANNELS.output]: `writes ${JOB_TYPES[jobType].outputNoun} to`,
  })[channel] ?? channel;

/**
 * Every part of the job's configuration that the execution role acts on. A channel's S3 locations
 * and the job's images are scoped together, as a failure on any of them is; keys one by one, as each
 * serves its own use.
 */
function needsOf(job: JobContext): Need[] {
  const only = (slice: Partial<JobContext>): JobContext => ({
    ...job,
    s3Locations: [],
    images: [],
    kmsKeys: [],
    fileSystems: [],
    ...slice,
  });
  const s3Channels = [...new Set(job.s3Locations.map((location) => location.channel))];
  const ecrImages = job.images.filter((image) => ecrRepositoryOf(image));
  const jobWide = (channel: Channel, role: ConfigRole, why: string): Need => ({
    channel,
    role,
    job: only({}),
    why,
  });
  return [
    ...s3Channels.map((channel): Need => {
      const locations = job.s3Locations.filter((location) => location.channel === channel);
      return {
        channel,
        role: S3_CHANNEL_ROLES[channel] ?? CONFIG_ROLES.inputRead,
        job: only({ s3Locations: locations }),
        why: `${s3UseOf(channel, job.jobType)} ${locations.map((l) => l.uri).join(', ')}`,
        whyOf: (resource) => {
          const on = locations.filter((l) =>
            `${resource}/`.startsWith(`arn:${job.partition}:s3:::${l.bucket}/${l.prefix}`),
          );
          return `${s3UseOf(channel, job.jobType)} ${(on.length > 0 ? on : locations).map((l) => l.uri).join(', ')}`;
        },
      };
    }),
    ...(ecrImages.length > 0
      ? [
          {
            channel: CHANNELS.ecrImage,
            role: CONFIG_ROLES.imagePull,
            job: only({ images: ecrImages }),
            why: `pulls ${ecrImages.join(', ')}`,
          },
        ]
      : []),
    ...job.kmsKeys.map((key): Need => ({
      channel: CHANNELS.kms,
      role: KEY_ROLES[key.use],
      job: only({ kmsKeys: [key] }),
      why: `uses the ${key.use} key ${key.keyId}${key.foundIn ? ` (${key.foundIn})` : ''}`,
    })),
    ...(job.subnets.length > 0
      ? [
          jobWide(
            CHANNELS.vpcNetwork,
            CONFIG_ROLES.vpc,
            `attaches to VPC subnets ${job.subnets.join(', ')} with security groups ${job.securityGroups.join(', ') || 'none'}`,
          ),
        ]
      : []),
    ...job.fileSystems.map((fs): Need => ({
      channel: fs.type === 'efs' ? CHANNELS.efs : CHANNELS.fsx,
      role: CONFIG_ROLES.fileSystem,
      service: fs.type === 'efs' ? 'elasticfilesystem' : 'fsx',
      job: only({ fileSystems: [fs] }),
      why: `mounts ${fs.type} file system ${fs.id}`,
    })),
    jobWide(CHANNELS.cloudwatchLogs, CONFIG_ROLES.logs, `writes its logs (${job.jobType} job)`),
    jobWide(CHANNELS.cloudwatchMetrics, CONFIG_ROLES.metrics, `publishes its metrics (${job.jobType} job)`),
  ];
}

const keyOf = (p: Pick<RequiredPermission, 'action' | 'resource' | 'condition'>): string =>
  JSON.stringify([p.action, p.resource, p.condition ?? null]);

/**
 * Every action the job's execution role needs, with its exact resource, condition and why, plus the
 * trust the role must give SageMaker. Resources come from the configuration only; `*` appears only
 * for actions IAM cannot scope to a resource.
 */
export function requiredPermissions(job: JobContext): RequiredPermission[] {
  const required = new Map<string, RequiredPermission>();
  for (const need of needsOf(job)) {
    for (const grant of grantsFor(actionsServing(need.role, need.service), {
      job: need.job,
      channel: need.channel,
    })) {
      for (const action of grant.actions) {
        for (const resource of grant.resources) {
          const reason = actionRow(action)?.reasons?.[need.role];
          const why = `${need.whyOf?.(resource) ?? need.why}${reason ? ` (${reason})` : ''}`;
          const permission = { action, resource, condition: grant.condition, why, channel: need.channel };
          const existing = required.get(keyOf(permission));
          // One requirement per action, resource and condition; each use of it is a reason.
          required.set(
            keyOf(permission),
            existing && !existing.why.includes(why)
              ? { ...existing, why: `${existing.why}; ${why}` }
              : (existing ?? permission),
          );
        }
      }
    }
  }
  const trust: RequiredPermission = {
    action: 'sts:AssumeRole',
    resource: job.roleArn ?? '',
    why: `runs as ${job.roleArn ?? 'its execution role'}, whose trust policy must let ${SAGEMAKER_PRINCIPAL} assume it`,
    channel: CHANNELS.trust,
  };
  return [...required.values(), trust];
}

/** The requirements as `--no-simulate --format json` prints them, with what could not be checked. */
export const requiredJson = (required: readonly RequiredPermission[], unchecked: readonly string[] = []) => ({
  required: required.map(({ action, resource, condition, why }) => ({
    action,
    resource,
    ...(condition ? { condition } : {}),
    why,
  })),
  ...(unchecked.length > 0 ? { unchecked } : {}),
});

/** ECR image URIs carry the registry's account and region; SageMaker pulls only from the job's region. */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/;

/** An ECR image's registry account and repository; undefined for an image outside ECR. */
export function ecrRepositoryOf(
  image: string,
): { account: string; region: string; name: string } | undefined {
  const match = ECR_IMAGE.exec(image);
  return match ? { account: match[1] ?? '', region: match[2] ?? '', name: match[3] ?? '' } : undefined;
}

/**
 * What the request alone cannot settle, said where nothing is looked up (`--no-simulate`): an image
 * in another account's registry needs that repository's policy to allow the role too.
 */
export function offlineUnchecked(job: JobContext): string[] {
  return job.images.flatMap((image) => {
    const repository = ecrRepositoryOf(image);
    if (!repository || repository.account === job.accountId) return [];
    return [
      `the image ${image} is in account ${repository.account}: the policy of its repository ${repository.name} must allow ${job.roleArn ?? 'the execution role'} to pull (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability); cannot be checked offline`,
    ];
  });
}

/** What simulating one requirement gave, as the adapter read it from SimulatePrincipalPolicy. */
export interface SimulatedRequirement {
  readonly requirement: RequiredPermission;
  readonly decision: 'allowed' | 'implicitDeny' | 'explicitDeny';
  /** The kind of policy that blocks it: the role's own, its permissions boundary, or an SCP. */
  readonly blockedBy?: FixLocation;
  /** The policy holding an explicit deny, where the simulation names it. */
  readonly denyingPolicy?: string;
}

/** Everything a pre-flight check learnt about the role, for {@link predict}. */
export interface PreflightEvidence {
  /** One entry per simulated requirement; empty when the simulation could not run. */
  readonly simulated: readonly SimulatedRequirement[];
  /** Whether the role's trust policy lets SageMaker assume it; undefined when it could not be read. */
  readonly trustAllowsSageMaker?: boolean;
  /** What could not be checked, each with why (a failed call, another account's repository policy). */
  readonly unchecked: readonly string[];
}

export const PREDICTIONS = {
  willFail: 'will-fail',
  willPass: 'will-pass',
  unverifiable: 'unverifiable',
} as const;
export type Prediction = (typeof PREDICTIONS)[keyof typeof PREDICTIONS];

/** A pre-flight verdict: the prediction, the fix as a failure would get it, and what was not checked. */
export interface PreflightReport {
  readonly prediction: Prediction;
  /**
   * True when a block is certain whatever any resource policy says: an explicit deny, or a trust
   * policy that does not let SageMaker assume the role. The only case a job may be stopped for.
   */
  readonly definite: boolean;
  readonly jobName?: string;
  readonly roleArn?: string;
  readonly required: readonly RequiredPermission[];
  readonly unchecked: readonly string[];
  /** The diagnosis and fix a failure would have produced, marked as predicted; absent on a pass. */
  readonly diagnosis?: PermissionDiagnosis;
  readonly proposal?: FixProposal;
}

const PREDICTED_RULE = 'preflight-simulation';

/** One finding per kind of block and channel, as the diagnosis of the failure would report it. */
function findingsOf(blocked: readonly SimulatedRequirement[]): Finding[] {
  const groups = new Map<string, SimulatedRequirement[]>();
  for (const entry of blocked) {
    const location = entry.blockedBy ?? FIX_LOCATIONS.identityPolicy;
    const key = JSON.stringify([
      entry.requirement.channel,
      location,
      entry.decision,
      entry.denyingPolicy ?? null,
    ]);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()].map((entries) => {
    const [first] = entries as [SimulatedRequirement, ...SimulatedRequirement[]];
    const explicitDeny = first.decision === 'explicitDeny';
    return {
      ruleId: PREDICTED_RULE,
      channel: first.requirement.channel,
      certainty: 'certain',
      fixLocation: first.blockedBy ?? FIX_LOCATIONS.identityPolicy,
      explicitDeny,
      policyArn: first.denyingPolicy,
      grants: entries.map(({ requirement: r }) => ({
        actions: [r.action],
        resources: [r.resource],
        condition: r.condition,
        resourceSource: r.resource === '*' ? 'not-resource-scoped' : 'job',
      })),
      causes: [],
      notes: [...new Set(entries.map((e) => `needed because the job ${e.requirement.why}`))],
      matchedText: `predicted before the job runs: SimulatePrincipalPolicy gives ${first.decision} for ${entries
        .map((e) => `${e.requirement.action} on ${e.requirement.resource}`)
        .join(', ')}`,
    };
  });
}

function trustFinding(job: JobContext): Finding {
  return {
    ruleId: PREDICTED_RULE,
    channel: CHANNELS.trust,
    certainty: 'certain',
    fixLocation: FIX_LOCATIONS.trustPolicy,
    explicitDeny: false,
    grants: [{ actions: ['sts:AssumeRole'], resources: [job.roleArn ?? ''], resourceSource: 'job' }],
    causes: [],
    notes: [],
    matchedText: `predicted before the job runs: the trust policy of ${job.roleArn ?? 'the role'} does not allow ${SAGEMAKER_PRINCIPAL}`,
  };
}

/**
 * The prediction from what the check found: a block on any requirement means the job will fail, and
 * the fix is the proposal its failure would have produced. Only identity-policy, boundary and SCP
 * decisions are simulated, so an implicit deny is lifted by a same-account resource policy (a bucket
 * or key policy naming the role): such a prediction is `will-fail` but not `definite`.
 */
export function predict(
  job: JobContext,
  required: readonly RequiredPermission[],
  evidence: PreflightEvidence,
): PreflightReport {
  const blocked = evidence.simulated.filter((entry) => entry.decision !== 'allowed');
  const findings = [
    ...(evidence.trustAllowsSageMaker === false ? [trustFinding(job)] : []),
    ...findingsOf(blocked),
  ];
  const base = { jobName: job.jobName, roleArn: job.roleArn, required, unchecked: evidence.unchecked };
  if (findings.length === 0) {
    const verified = evidence.simulated.length > 0 && evidence.trustAllowsSageMaker === true;
    return {
      ...base,
      prediction: verified ? PREDICTIONS.willPass : PREDICTIONS.unverifiable,
      definite: false,
    };
  }
  const diagnosis: PermissionDiagnosis = {
    kind: 'permission',
    jobName: job.jobName,
    roleArn: job.roleArn,
    accountId: job.accountId,
    untrustedText: false,
    truncated: false,
    findings,
  };
  const definite =
    evidence.trustAllowsSageMaker === false || blocked.some((entry) => entry.decision === 'explicitDeny');
  const proposal = propose(diagnosis);
  // The title says what is coming, in every rendering: the subject, the chat title, the JSON.
  const title = `${job.jobName ?? 'SageMaker job'}: this job will fail: ${failureOf(proposal)}`;
  return { ...base, prediction: PREDICTIONS.willFail, definite, diagnosis, proposal: { ...proposal, title } };
}

/** What the failure will be: the Allow the role lacks, or where the block lives. */
function failureOf(proposal: FixProposal | undefined): string {
  if (!proposal) return 'permissions are missing';
  if (proposal.policy) {
    const actions = new Set(proposal.policy.Statement.flatMap((statement) => statement.Action));
    return `${proposal.roleName} needs ${actions.size} permission(s)`;
  }
  return `blocked by the ${proposal.fixLocation}`;
}

/** The headline of a notification or of the CLI's text output. */
export function headline(report: PreflightReport): string {
  const job = report.jobName ?? 'SageMaker job';
  switch (report.prediction) {
    case PREDICTIONS.willFail:
      return `${report.proposal?.title ?? `${job}: this job will fail`}${
        report.definite
          ? ''
          : ' (unless a bucket, key or repository policy grants the role what its own policies do not)'
      }`;
    case PREDICTIONS.willPass:
      return `${job}: the execution role has every permission the job's configuration needs`;
    case PREDICTIONS.unverifiable:
      return `${job}: the role's permissions could not be checked: ${report.unchecked.join('; ') || 'nothing was simulated'}`;
    default: {
      const unreachable: never = report.prediction;
      throw new Error(`unknown prediction ${String(unreachable)}`);
    }
  }
}

/**
 * True when a trust policy document (JSON, or URL-encoded as GetRole returns it) lets SageMaker call
 * sts:AssumeRole. Conditions are not evaluated: a conditioned Allow counts, the service decides.
 */
export function trustAllowsSageMaker(document: string): boolean {
  const parsed: unknown = JSON.parse(
    document.trim().startsWith('{') ? document : decodeURIComponent(document),
  );
  const statements = isObject(parsed) ? [parsed.Statement].flat() : [];
  const listOf = (value: unknown): unknown[] => [value].flat();
  const allows = (s: unknown): boolean =>
    isObject(s) &&
    s.Effect === 'Allow' &&
    listOf(s.Action).some((a) => typeof a === 'string' && /^(?:\*|sts:\*|sts:AssumeRole)$/i.test(a)) &&
    isObject(s.Principal) &&
    listOf(s.Principal.Service).includes(SAGEMAKER_PRINCIPAL);
  const denies = (s: unknown): boolean =>
    isObject(s) &&
    s.Effect === 'Deny' &&
    isObject(s.Principal) &&
    listOf(s.Principal.Service).includes(SAGEMAKER_PRINCIPAL);
  return statements.some(allows) && !statements.some(denies);
}

/** The report as text: the fix as a failure's proposal reads, then what was not checked. */
export function renderPreflightText(report: PreflightReport): string {
  const unchecked = report.unchecked.map((line) => `Not checked: ${line}.`);
  if (!report.diagnosis || !report.proposal) return [headline(report), ...unchecked].join('\n');
  const caveat = report.definite
    ? []
    : [
        'Predicted from the role, its permissions boundary and SCPs (SimulatePrincipalPolicy); a bucket, key or ' +
          'repository policy that names the role could still grant what is missing.',
      ];
  const outcome = { kind: 'permission', diagnosis: report.diagnosis, proposal: report.proposal } as const;
  return [renderText(outcome), '', ...caveat, ...unchecked].join('\n');
}
