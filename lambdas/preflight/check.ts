/**
 * The pre-flight check against the live account: SimulatePrincipalPolicy for every requirement of
 * the job (with its resource and context keys, reading the boundary and organization decisions),
 * GetRole for the trust policy, the default encryption of the job's buckets (the keys the request
 * cannot name), and, for an image in another account, its repository policy where readable. The verdict itself is the core's ({@link predict}).
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { GetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import type { ContextEntry, EvaluationResult, IAMClient } from '@aws-sdk/client-iam';
import { GetRoleCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { CONFIG_ROLES, S3_CHANNEL_ROLES } from '../core/actions.js';
import { parseArn, roleNameOf } from '../core/job-context.js';
import type {
  PreflightEvidence,
  PreflightReport,
  RequiredPermission,
  SimulatedRequirement,
} from '../core/preflight.js';
import { predict, requiredPermissions, trustAllowsSageMaker } from '../core/preflight.js';
import type { JobContext, KmsKeyReference, PolicyCondition } from '../core/types.js';
import { CHANNELS, FIX_LOCATIONS } from '../core/types.js';

export interface PreflightClients {
  readonly iam: IAMClient;
  /** Reads repository policies of images in other accounts; without it they are reported unchecked. */
  readonly ecr?: ECRClient;
  /** Reads the default encryption of the job's buckets; without it their keys are reported unchecked. */
  readonly s3?: S3Client;
}

/** The S3 error of a bucket without a default encryption configuration (none since 2023: SSE-S3). */
const NO_ENCRYPTION_CONFIGURATION = 'ServerSideEncryptionConfigurationNotFoundError';

/**
 * The keys the job's buckets encrypt new objects with by default (`GetBucketEncryption`, only for
 * buckets of the job's account: `ExpectedBucketOwner` makes another account's bucket an error, reported
 * as unknown rather than guessed). Objects read from a bucket are usually under its default key; what
 * SageMaker writes is, unless the job names an output key. An AWS managed key (`aws:kms` without a
 * key id) needs nothing of the role.
 */
async function bucketDefaultKeys(
  s3: S3Client | undefined,
  job: JobContext,
  unchecked: string[],
): Promise<KmsKeyReference[]> {
  const namesOutputKey = job.kmsKeys.some((key) => key.use === 'output');
  const uses = new Map<string, Set<KmsKeyReference['use']>>();
  for (const location of job.s3Locations) {
    const role = S3_CHANNEL_ROLES[location.channel];
    const use = role === CONFIG_ROLES.inputRead ? 'input' : namesOutputKey ? undefined : 'output';
    const bucketUses = uses.get(location.bucket) ?? new Set();
    if (use) bucketUses.add(use);
    if (role === CONFIG_ROLES.checkpoint) bucketUses.add('input');
    uses.set(location.bucket, bucketUses);
  }
  const keys: KmsKeyReference[] = [];
  const buckets = [...uses].filter(([, bucketUses]) => bucketUses.size > 0);
  if (!s3) {
    if (buckets.length > 0) unchecked.push("the buckets' default encryption was not read (no S3 client)");
    return keys;
  }
  for (const [bucket, bucketUses] of buckets) {
    try {
      const { ServerSideEncryptionConfiguration: configuration } = await s3.send(
        new GetBucketEncryptionCommand({ Bucket: bucket, ExpectedBucketOwner: job.accountId }),
      );
      const keyId = (configuration?.Rules ?? [])
        .map((rule) => rule.ApplyServerSideEncryptionByDefault)
        .find((byDefault) => byDefault?.SSEAlgorithm?.startsWith('aws:kms'))?.KMSMasterKeyID;
      if (keyId)
        for (const use of bucketUses)
          keys.push({ use, keyId, foundIn: `the default encryption of bucket ${bucket}` });
    } catch (error) {
      const { name } = error as Error;
      if (name === NO_ENCRYPTION_CONFIGURATION) continue;
      unchecked.push(
        `the default encryption of bucket ${bucket} could not be read (${name}): if the bucket is in another account, ask its owner which KMS key encrypts its objects; the key was not checked`,
      );
    }
  }
  return keys;
}

/** How IAM types a context key's values in SimulatePrincipalPolicy, by the condition operator. */
const contextKeyType = (operator: string): ContextEntry['ContextKeyType'] =>
  operator.startsWith('ForAnyValue:') || operator.startsWith('ForAllValues:')
    ? 'stringList'
    : operator.startsWith('Bool')
      ? 'boolean'
      : 'string';

/**
 * The requests a requirement stands for: one per concrete value of its condition (a `s3:prefix` of
 * `data/train` and of `data/valid` are two listings SageMaker makes; `data/train/*` is the pattern
 * that admits the keys below it, not a request).
 */
function contextsOf(condition: PolicyCondition | undefined): ContextEntry[][] {
  let variants: ContextEntry[][] = [[]];
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const concrete = values.filter((value) => !value.includes('*'));
      const type = contextKeyType(operator);
      const entries: ContextEntry[] =
        type === 'stringList'
          ? [{ ContextKeyName: key, ContextKeyType: type, ContextKeyValues: [...concrete] }]
          : concrete.map((value) => ({
              ContextKeyName: key,
              ContextKeyType: type,
              ContextKeyValues: [value],
            }));
      if (entries.length > 0)
        variants = variants.flatMap((variant) => entries.map((entry) => [...variant, entry]));
    }
  }
  return variants;
}

/** The decision of one evaluation, with the kind of policy that blocks it. */
function simulated(requirement: RequiredPermission, result: EvaluationResult): SimulatedRequirement {
  const decision =
    result.EvalDecision === 'allowed'
      ? 'allowed'
      : result.EvalDecision === 'explicitDeny'
        ? 'explicitDeny'
        : 'implicitDeny';
  const blockedBy =
    decision === 'allowed'
      ? undefined
      : result.OrganizationsDecisionDetail?.AllowedByOrganizations === false
        ? FIX_LOCATIONS.scp
        : result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false
          ? FIX_LOCATIONS.permissionsBoundary
          : FIX_LOCATIONS.identityPolicy;
  const policies = [
    ...new Set((result.MatchedStatements ?? []).flatMap((s) => (s.SourcePolicyId ? [s.SourcePolicyId] : []))),
  ];
  return {
    requirement,
    decision,
    blockedBy,
    denyingPolicy: decision === 'explicitDeny' && policies.length > 0 ? policies.join(', ') : undefined,
  };
}

/** The worse of two decisions on the same requirement (two prefixes of one listing, say). */
const RANK = { allowed: 0, implicitDeny: 1, explicitDeny: 2 } as const;
const worse = (a: SimulatedRequirement, b: SimulatedRequirement): SimulatedRequirement =>
  RANK[b.decision] > RANK[a.decision] ? b : a;

/** An ECR repository ARN's account and name. */
const repositoryOf = (arn: string) => {
  const parts = parseArn(arn);
  const name = parts?.resource.replace(/^repository\//, '');
  return parts && name ? { account: parts.accountId, name } : undefined;
};

/**
 * The repository policy of an image in another account, which must allow the role too. Undefined,
 * with the reason in `unchecked`, when it cannot be read.
 */
async function repositoryPolicy(
  ecr: ECRClient | undefined,
  resource: string,
  unchecked: string[],
): Promise<string | undefined> {
  const repository = repositoryOf(resource);
  if (!repository) return undefined;
  const notChecked = (why: string) => {
    unchecked.push(
      `the repository policy of ${repository.name} in account ${repository.account} could not be read (${why}): whether it lets the role pull was not checked`,
    );
    return undefined;
  };
  if (!ecr) return notChecked('no ECR client');
  try {
    const { policyText } = await ecr.send(
      new GetRepositoryPolicyCommand({ registryId: repository.account, repositoryName: repository.name }),
    );
    return policyText ?? notChecked('no policy');
  } catch (error) {
    return notChecked(`${(error as Error).name}: ${(error as Error).message.slice(0, 120)}`);
  }
}

async function simulateAll(
  iam: IAMClient,
  ecr: ECRClient | undefined,
  job: JobContext,
  required: readonly RequiredPermission[],
  unchecked: string[],
): Promise<SimulatedRequirement[]> {
  const roleArn = job.roleArn ?? '';
  const results = new Map<RequiredPermission, SimulatedRequirement>();
  // One call per resource and context: its actions are evaluated together.
  const batches = new Map<
    string,
    { resource: string; context: ContextEntry[]; requirements: RequiredPermission[] }
  >();
  for (const requirement of required.filter((r) => r.channel !== CHANNELS.trust)) {
    for (const context of contextsOf(requirement.condition)) {
      const key = JSON.stringify([requirement.resource, context]);
      const batch = batches.get(key) ?? { resource: requirement.resource, context, requirements: [] };
      batch.requirements.push(requirement);
      batches.set(key, batch);
    }
  }
  const policies = new Map<string, Promise<string | undefined>>();
  for (const { resource, context, requirements } of batches.values()) {
    const repository = resource.includes(':repository/') ? repositoryOf(resource) : undefined;
    const crossAccount = repository && repository.account !== job.accountId;
    if (crossAccount && !policies.has(resource))
      policies.set(resource, repositoryPolicy(ecr, resource, unchecked));
    const resourcePolicy = crossAccount ? await policies.get(resource) : undefined;
    const page = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: requirements.map((r) => r.action),
        ResourceArns: [resource],
        ContextEntries: context.length > 0 ? context : undefined,
        ...(resourcePolicy
          ? {
              ResourcePolicy: resourcePolicy,
              ResourceOwner: `arn:${job.partition}:iam::${repository?.account ?? ''}:root`,
            }
          : {}),
      }),
    );
    for (const requirement of requirements) {
      const result = page.EvaluationResults?.find((r) => r.EvalActionName === requirement.action);
      if (!result) throw new Error(`no evaluation of ${requirement.action} on ${resource}`);
      const entry = simulated(requirement, result);
      const previous = results.get(requirement);
      results.set(requirement, previous ? worse(previous, entry) : entry);
    }
  }
  return [...results.values()];
}

/** Reads the trust policy; undefined (and the reason in `unchecked`) when it cannot be read. */
async function trustOf(iam: IAMClient, roleArn: string, unchecked: string[]): Promise<boolean | undefined> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleNameOf(roleArn) }));
    // GetRole reads by name in the client's account: another account's role of that name is not this one.
    if (Role?.Arn !== roleArn) {
      unchecked.push(
        `the trust policy could not be read: GetRole answered for ${Role?.Arn ?? 'no role'}, not ${roleArn}`,
      );
      return undefined;
    }
    return trustAllowsSageMaker(Role.AssumeRolePolicyDocument ?? '{}');
  } catch (error) {
    unchecked.push(`the trust policy could not be read: GetRole failed: ${(error as Error).name}`);
    return undefined;
  }
}

/**
 * Checks the job's execution role before the job runs. Never throws for an AWS failure: what could
 * not be checked is reported, and a check that simulated nothing is `unverifiable`.
 */
export async function checkJob(submitted: JobContext, clients: PreflightClients): Promise<PreflightReport> {
  const unchecked: string[] = [];
  const job = {
    ...submitted,
    kmsKeys: [...submitted.kmsKeys, ...(await bucketDefaultKeys(clients.s3, submitted, unchecked))],
  };
  const required = requiredPermissions(job);
  const trustAllows = await trustOf(clients.iam, job.roleArn ?? '', unchecked);
  let simulatedRequirements: SimulatedRequirement[] = [];
  try {
    simulatedRequirements = await simulateAll(clients.iam, clients.ecr, job, required, unchecked);
  } catch (error) {
    const { name, message } = error as Error;
    unchecked.push(`SimulatePrincipalPolicy failed: ${name}: ${message.slice(0, 200)}`);
  }
  const evidence: PreflightEvidence = {
    simulated: simulatedRequirements,
    trustAllowsSageMaker: trustAllows,
    unchecked,
  };
  return predict(job, required, evidence);
}
