/**
 * Fixes where the block lives. When a resource's own policy blocks the request (the text says so, or
 * the ECR repository or KMS key is in another account than the principal), an Allow on the role is
 * not enough: the proposal carries the statement for that resource's policy, for the role or for the
 * service principal the text names (bound to the account with `aws:SourceAccount`), and the commands
 * that read the current policy, merge the statement in and write the result back. No command writes a
 * policy it has not read first: a failed read leaves nothing to write.
 */
import { createHash } from 'node:crypto';
import { assumedRoleNameOf, parseArn } from './job-context.js';
import { shellQuote } from './shell.js';
import type { Finding, PermissionDiagnosis, PolicyCondition } from './types.js';
import { FIX_LOCATIONS } from './types.js';

/** The resource policies the proposal can name a statement for. */
export const RESOURCE_POLICY_KINDS = {
  ecrRepository: 'ecr-repository-policy',
  s3Bucket: 's3-bucket-policy',
  kmsKey: 'kms-key-policy',
} as const;
export type ResourcePolicyKind = (typeof RESOURCE_POLICY_KINDS)[keyof typeof RESOURCE_POLICY_KINDS];

export interface ResourcePolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal: { readonly AWS: string } | { readonly Service: string };
  readonly Action: readonly string[];
  /** Absent in a repository policy (the repository is the resource); `*` in a key policy (the key). */
  readonly Resource?: readonly string[];
  readonly Condition?: PolicyCondition;
}

/** One resource's policy to change, and how. */
export interface ResourcePolicyFix {
  readonly kind: ResourcePolicyKind;
  /** The repository, bucket or key whose policy changes. */
  readonly resourceArn: string;
  readonly statement: ResourcePolicyStatement;
  /** Read the current policy, merge the statement in (same Sid replaced), write it back. */
  readonly commands: readonly string[];
}

/** A policy document as read back from a service: only what merging touches is typed; the rest is kept. */
export interface ReadPolicy {
  readonly Version?: string;
  readonly Statement?: unknown;
  readonly [key: string]: unknown;
}

/**
 * The statement merged into a policy, as the jq program of the commands does: every statement of the
 * policy kept, one with the same Sid replaced. An absent policy (a repository or bucket without one)
 * is an empty one.
 */
export function mergeStatement(
  policy: ReadPolicy | undefined,
  statement: ResourcePolicyStatement,
): ReadPolicy & { readonly Version: string; readonly Statement: readonly unknown[] } {
  const existing = policy?.Statement === undefined ? [] : [policy.Statement].flat();
  const others = existing.filter(
    (s) => typeof s !== 'object' || s === null || (s as { Sid?: unknown }).Sid !== statement.Sid,
  );
  return { ...policy, Version: policy?.Version ?? '2012-10-17', Statement: [...others, statement] };
}

/** The jq program of {@link mergeStatement}: `Statement` may be one object or a list. */
const MERGE_PROGRAM =
  '.Statement = ([.Statement // []] | flatten | map(select(.Sid != $statement.Sid))) + [$statement]';

const EMPTY_POLICY = '{"Version":"2012-10-17","Statement":[]}';

/** get > file (or an empty policy when none exists yet), jq merge > merged file, put merged file. */
function mergeCommands(
  statement: ResourcePolicyStatement,
  file: string,
  read: string,
  missingPolicyError: string | undefined,
  write: string,
): string[] {
  return [
    `${read} > ${file}.json`,
    ...(missingPolicyError
      ? [
          `# only if that answered ${missingPolicyError} (no policy yet): echo '${EMPTY_POLICY}' > ${file}.json`,
        ]
      : []),
    `jq --argjson statement ${shellQuote(JSON.stringify(statement))} ${shellQuote(MERGE_PROGRAM)} ${file}.json > ${file}.merged.json`,
    `${write} file://${file}.merged.json`,
  ];
}

/** The commands for one kind of resource policy. */
function commandsFor(kind: ResourcePolicyKind, resourceArn: string, statement: ResourcePolicyStatement) {
  const parts = parseArn(resourceArn);
  const region = shellQuote(parts?.region || '<region>');
  switch (kind) {
    case RESOURCE_POLICY_KINDS.ecrRepository: {
      const target = `--registry-id ${shellQuote(parts?.accountId ?? '<account-id>')} --repository-name ${shellQuote(
        (parts?.resource ?? '').replace(/^repository\//, ''),
      )} --region ${region}`;
      return mergeCommands(
        statement,
        'repository-policy',
        `aws ecr get-repository-policy ${target} --query policyText --output text`,
        'RepositoryPolicyNotFoundException',
        `aws ecr set-repository-policy ${target} --policy-text`,
      );
    }
    case RESOURCE_POLICY_KINDS.s3Bucket: {
      const bucket = `--bucket ${shellQuote(resourceArn.replace(/^arn:[^:]*:s3:::/, ''))}`;
      return mergeCommands(
        statement,
        'bucket-policy',
        `aws s3api get-bucket-policy ${bucket} --query Policy --output text`,
        'NoSuchBucketPolicy',
        `aws s3api put-bucket-policy ${bucket} --policy`,
      );
    }
    case RESOURCE_POLICY_KINDS.kmsKey: {
      const key = `--key-id ${shellQuote(resourceArn)} --policy-name default --region ${region}`;
      return mergeCommands(
        statement,
        'key-policy',
        `aws kms get-key-policy ${key} --query Policy --output text`,
        undefined,
        `aws kms put-key-policy ${key} --policy`,
      );
    }
  }
}

/** The resource policy an action's resource has, and the resource whose policy it is. */
function policyTargetOf(
  action: string,
  resource: string,
): { kind: ResourcePolicyKind; arn: string } | undefined {
  if (action.startsWith('ecr:') && resource.includes(':repository/'))
    return { kind: RESOURCE_POLICY_KINDS.ecrRepository, arn: resource };
  if (action.startsWith('s3:') && /^arn:[^:]*:s3:::[^/]+/.test(resource))
    return {
      kind: RESOURCE_POLICY_KINDS.s3Bucket,
      arn: /^arn:[^:]*:s3:::[^/]+/.exec(resource)?.[0] ?? resource,
    };
  if (action.startsWith('kms:') && /:key\/[^*]+$/.test(resource))
    return { kind: RESOURCE_POLICY_KINDS.kmsKey, arn: resource };
  return undefined;
}

const accountOf = (arn: string | undefined): string | undefined => {
  const account = arn ? parseArn(arn)?.accountId : undefined;
  return account && /^\d{12}$/.test(account) ? account : undefined;
};

/** The role a resource policy must allow: the job's, else the role behind the principal the text names. */
function rolePrincipalOf(finding: Finding, diagnosis: PermissionDiagnosis): string {
  const assumed = assumedRoleNameOf(finding.principalArn);
  const parts = finding.principalArn ? parseArn(finding.principalArn) : undefined;
  if (diagnosis.roleArn && (!assumed || diagnosis.roleArn.endsWith(`/${assumed}`))) return diagnosis.roleArn;
  if (finding.principalArn?.includes(':role/')) return finding.principalArn;
  if (assumed && parts) return `arn:${parts.partition}:iam::${parts.accountId}:role/${assumed}`;
  return 'arn:aws:iam::<account-id>:role/<execution-role>';
}

/** The resource account differs from the principal's (or the job's): the resource's policy must allow. */
const isForeign = (resourceArn: string, ownAccount: string | undefined): boolean => {
  const account = accountOf(resourceArn);
  return account !== undefined && ownAccount !== undefined && account !== ownAccount;
};

/** A statement's Sid from its content: merging the same fix twice replaces it, never duplicates it. */
const sidOf = (statement: Omit<ResourcePolicyStatement, 'Sid'>): string =>
  `SageMakerIamRemediator${createHash('sha256').update(JSON.stringify(statement)).digest('hex').slice(0, 12)}`;

/** Identity-side conditions that mean nothing in the resource's own policy. */
const IDENTITY_ONLY_CONDITION_KEYS: ReadonlySet<string> = new Set(['s3:ResourceAccount']);

function resourceCondition(condition: PolicyCondition | undefined): PolicyCondition | undefined {
  if (!condition) return undefined;
  const kept = Object.entries(condition).flatMap(([operator, keys]) => {
    const rest = Object.entries(keys).filter(([key]) => !IDENTITY_ONLY_CONDITION_KEYS.has(key));
    return rest.length > 0 ? [[operator, Object.fromEntries(rest)] as const] : [];
  });
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** The resource-policy fixes of a permission diagnosis: one per resource whose own policy blocks. */
export function resourcePolicyFixes(diagnosis: PermissionDiagnosis): ResourcePolicyFix[] {
  const fixes = new Map<string, ResourcePolicyFix>();
  for (const finding of diagnosis.findings) {
    if (finding.explicitDeny) continue;
    const ownAccount = diagnosis.accountId ?? accountOf(finding.principalArn);
    const blockedThere = finding.fixLocation === FIX_LOCATIONS.resourcePolicy;
    for (const grant of finding.grants) {
      for (const resource of grant.resources) {
        const actions = grant.actions.filter((action) => policyTargetOf(action, resource) !== undefined);
        const target = actions[0] ? policyTargetOf(actions[0], resource) : undefined;
        if (!target || !(blockedThere || isForeign(resource, ownAccount))) continue;
        const principal = finding.servicePrincipal
          ? { Service: finding.servicePrincipal }
          : { AWS: rolePrincipalOf(finding, diagnosis) };
        const sourceAccount: PolicyCondition | undefined = finding.servicePrincipal
          ? { StringEquals: { 'aws:SourceAccount': [ownAccount ?? '<account-id>'] } }
          : undefined;
        const condition =
          target.kind === RESOURCE_POLICY_KINDS.s3Bucket ? resourceCondition(grant.condition) : undefined;
        const previous = fixes.get(`${target.arn}\n${JSON.stringify([principal, condition])}`);
        const body = {
          Effect: 'Allow' as const,
          Principal: principal,
          Action: [...new Set([...(previous?.statement.Action ?? []), ...actions])].sort(),
          ...(target.kind === RESOURCE_POLICY_KINDS.s3Bucket
            ? { Resource: [...new Set([...(previous?.statement.Resource ?? []), resource])].sort() }
            : target.kind === RESOURCE_POLICY_KINDS.kmsKey
              ? { Resource: ['*'] }
              : {}),
          ...(condition || sourceAccount ? { Condition: { ...condition, ...sourceAccount } } : {}),
        };
        const statement = { Sid: sidOf(body), ...body };
        fixes.set(`${target.arn}\n${JSON.stringify([principal, condition])}`, {
          kind: target.kind,
          resourceArn: target.arn,
          statement,
          commands: commandsFor(target.kind, target.arn, statement),
        });
      }
    }
  }
  return [...fixes.values()];
}
