/**
 * The only place that says yes to applying a policy. Pure: the Lambda, the approver and the CLI call
 * it with the same inputs and get the same decision, including every reason for a refusal.
 *
 * Beyond the gates (switch, account, role opt-in, origin of the text) and the finding's own checks
 * (an implicit identity-policy denial of the job's execution role, certain), every action on every
 * resource must answer three questions yes:
 *   1. Is the resource one the operator declared (`resourcePatterns`), in the job's account?
 *   2. Does the job's configuration give that resource a role (input, output, checkpoint, key, image,
 *      VPC, logs)?
 *   3. Does the action fit that role (the action table's `serves`)?
 * Text can therefore select among the permissions the configuration implies; it never chooses the
 * resource or the access mode.
 */
import type { ActionRow, ConfigRole } from './actions.js';
import {
  actionRow,
  CONFIG_ROLES,
  KEY_ROLES,
  DECLARED_RESOURCE_KINDS,
  isEscalation,
  RESOURCE_KINDS,
  resourceKindOf,
  S3_CHANNEL_ROLES,
} from './actions.js';
import { assumedRoleNameOf, parseArn, roleNameOf } from './job-context.js';
import type { StoredStatement, UndoTarget } from './grants.js';
import { expiryOf, isServicePolicyName } from './grants.js';
import type { PolicyDocument } from './propose.js';
import { grantsToPropose, policyFromGrants, policyNameOf } from './propose.js';
import {
  aliasOf,
  hasWildcard,
  jobSubnetCondition,
  keyArnEnvironmentOf,
  listPrefixesOf,
  logGroupOf,
  mergeConditions,
  repositoryArnsOf,
} from './scope.js';
import type {
  Finding,
  Grant,
  JobContext,
  PermissionDiagnosis,
  PolicyCondition,
  Verification,
} from './types.js';
import { FIX_LOCATIONS } from './types.js';

/** The tag a role carries to opt in when it matches no configured name pattern. */
export const OPT_IN_TAG = { key: 'sagemaker-iam-remediator:auto', value: 'true' } as const;

export interface GuardConfig {
  /** Master switch for applying without a human. @default false */
  readonly autoRemediate: boolean;
  /** Accounts whose roles may be changed. */
  readonly allowedAccounts: readonly string[];
  /** Role-name globs (`*` any run, `?` one character) that opt a role in, under any path: see rolePatternMatches. */
  readonly roleNamePatterns: readonly string[];
  /**
   * ARN globs (`*` any run, `?` one character) of the buckets, objects, KMS keys and ECR repositories
   * that may be granted. A bucket for ListBucket is declared by its ARN or by patterns covering every
   * prefix it is limited to.
   * @default - only the account's SageMaker default bucket, `arn:<partition>:s3:::sagemaker-<region>-<account>` and its objects
   */
  readonly resourcePatterns?: readonly string[];
}

/** Which rule refused: stable codes that tests, metrics and the approver can match on. */
export const REFUSAL_CODES = {
  autoRemediationOff: 'auto-remediation-off',
  noRoleOrAccount: 'no-role-or-account',
  accountNotAllowed: 'account-not-allowed',
  /** The execution role is not in the job's account: a write would hit a same-named role there. */
  roleOtherAccount: 'role-other-account',
  /**
   * The configurations name several execution roles (a tuning job's definitions, an endpoint's
   * models): which resource serves which role cannot be told, so no resource gives one role access.
   */
  severalExecutionRoles: 'several-execution-roles',
  roleNotOptedIn: 'role-not-opted-in',
  untrustedText: 'untrusted-text',
  apiCallOrigin: 'api-call-origin',
  explicitDeny: 'explicit-deny',
  notIdentityPolicy: 'not-identity-policy',
  uncertain: 'uncertain',
  principalNotExecutionRole: 'principal-not-execution-role',
  nothingApplicable: 'nothing-applicable',
  widensPrivilege: 'widens-privilege',
  actionNotAutoApplicable: 'action-not-auto-applicable',
  resourceNotFromJob: 'resource-not-from-job',
  wildcardResource: 'wildcard-resource',
  /**
   * A resource or condition value holds `${`: a policy variable IAM would expand, or a `$`, `*` or `?`
   * of the job or the text shown escaped. Data is never a pattern, so it is never applied.
   */
  resourceNotLiteral: 'resource-not-literal',
  /** Not an ARN as IAM writes it (lower-case partition, service and region; the account where there is one). */
  resourceNotCanonical: 'resource-not-canonical',
  resourceOtherAccount: 'resource-other-account',
  resourceNotDeclared: 'resource-not-declared',
  resourceNotInJob: 'resource-not-in-job',
  actionDoesNotFitRole: 'action-does-not-fit-role',
  conditionMissing: 'condition-missing',
  nothingMissing: 'nothing-missing',
  /** Approval: the stored policy is not what the guard derives from the stored failure. */
  storedPolicyDiffers: 'stored-policy-differs',
  /** Undo: the record stored under the id asked for names another id. */
  recordMismatch: 'record-mismatch',
  /** A write or deletion names a policy outside the service's `sagemaker-iam-remediator-` prefix. */
  notServicePolicy: 'not-service-policy',
  /** A merged write carries a statement that is neither on the role already nor approved now. */
  statementNotApproved: 'statement-not-approved',
  /** A statement written now does not expire although the operator set a time to live. */
  expiryMissing: 'expiry-missing',
  /** A write drops a statement that is not an Allow: taking a Deny away widens the role. */
  denyRemoved: 'deny-removed',
} as const;
export type RefusalCode = (typeof REFUSAL_CODES)[keyof typeof REFUSAL_CODES];

/** One reason something is not applied: the rule (a stable code) and what it found (text). */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
}

/** Plain JSON: the idempotency store and the approval record keep it as it is. */
export interface AutoApplyDecision {
  /** True when `policy` may be attached to `roleName` now. */
  readonly eligible: boolean;
  /** Every reason something was not applied; empty when everything was. */
  readonly refusals: readonly Refusal[];
  /** Exactly what would be attached. */
  readonly policy?: PolicyDocument;
  readonly policyName?: string;
  readonly roleName?: string;
}

/** What the caller knows beyond the diagnosis. */
export interface GuardContext {
  readonly roleTags?: Readonly<Record<string, string>>;
  readonly verification?: Verification;
  /**
   * A human approved this proposal (chat approval): the `autoRemediate` switch and the origin rules
   * for applying without a human are the human's to waive. Every other rule still applies.
   */
  readonly humanApproved?: boolean;
}

const refusal = (code: RefusalCode, message: string): Refusal => ({ code, message });

/** The texts of refusals, one line each: for notifications and logs. */
export const refusalText = (
  refusals: readonly { readonly code: string; readonly message: string }[],
): string => refusals.map((r) => `${r.message} [${r.code}]`).join('; ');

const accountOf = (arn: string): string | undefined =>
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1];

/** A canonical ARN: IAM matches ARNs case-sensitively, so another spelling is another resource. */
const CANONICAL_ARN = /^arn:(aws(?:-[a-z]+)*):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(\S+)$/;

/** The parts of a canonical ARN: S3 names no region or account; every other service names its account. */
function canonicalArnOf(resource: string): { partition: string; account?: string } | undefined {
  const [, partition, service, region, account] = CANONICAL_ARN.exec(resource) ?? [];
  if (!partition || !service) return undefined;
  if (service === 's3') return region === '' && account === undefined ? { partition } : undefined;
  return account === undefined ? undefined : { partition, account };
}

/** IAM expands `${...}` in a resource and in condition values; an escaped `$`, `*` or `?` starts with it too. */
const isLiteral = (text: string): boolean => !text.includes('${');

/**
 * A glob as a whole-string match: `*` matches any run of characters, `?` one character. A `?` never
 * matches a `*` of the text: a resource `project-**` is every project, not one of two letters.
 *
 * A scan, not a pattern built from the glob: such a pattern backtracks over every way its `*`s can
 * split the text, which grows as the text's length to the power of their number. The scan keeps only
 * the last `*` seen and, on a mismatch, lets it take one more character: at most the glob's length
 * times the text's.
 */
export function globMatches(pattern: string, text: string): boolean {
  let at = 0;
  let next = 0;
  let star = -1;
  let starAt = 0;
  while (at < text.length) {
    const wanted = pattern[next];
    if (wanted === '*') {
      star = next++;
      starAt = at;
    } else if (wanted !== undefined && (wanted === '?' ? text[at] !== '*' : wanted === text[at])) {
      next++;
      at++;
    } else if (star >= 0) {
      next = star + 1;
      at = ++starAt;
    } else return false;
  }
  while (pattern[next] === '*') next++;
  return next === pattern.length;
}

/**
 * Whether a role-name pattern opts a role in, asked as IAM asks it of the stack's grant
 * (`lib/sagemaker-permission-remediator.ts`, `rolePatternResources`): the ARN's path and name
 * (`service-role/Name`) match the pattern, or match it after any path. IAM's `*` also matches `/`,
 * and so does the guard's, so what the guard approves is exactly what the role may write.
 */
export function rolePatternMatches(pattern: string, roleArn: string | undefined): boolean {
  const pathAndName = roleArn ? /:role\/(.+)$/s.exec(roleArn)?.[1] : undefined;
  return (
    pathAndName !== undefined &&
    (globMatches(pattern, pathAndName) || globMatches(`*/${pattern}`, pathAndName))
  );
}

/** The operator's resource patterns, or the default: the account's SageMaker default bucket only. */
export function resourcePatternsFor(config: GuardConfig, job: JobContext): readonly string[] {
  if (config.resourcePatterns) return config.resourcePatterns;
  if (!job.region || !job.accountId) return [];
  const bucket = `arn:${job.partition}:s3:::sagemaker-${job.region}-${job.accountId}`;
  return [bucket, `${bucket}/*`];
}

const conditionValues = (condition: PolicyCondition | undefined, operator: string, key: string) =>
  condition?.[operator]?.[key] ?? [];

/** True when every key and value of `required` is in `condition`; a key required with no value never is. */
const includesCondition = (condition: PolicyCondition | undefined, required: PolicyCondition): boolean =>
  Object.entries(required).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      const present = conditionValues(condition, operator, key);
      return (
        values.length > 0 && present.length === values.length && values.every((v) => present.includes(v))
      );
    }),
  );

const S3_ARN = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/;

/** The configuration roles the job's S3 locations give one S3 object resource (a prefix/* or an object). */
function s3ObjectRoles(resource: string, job: JobContext): ConfigRole[] {
  const [, bucket, key] = S3_ARN.exec(resource) ?? [];
  if (!bucket || key === undefined) return [];
  return job.s3Locations.flatMap((l) => {
    const covers = l.isObject
      ? key === l.prefix
      : key === (l.prefix ? `${l.prefix}/*` : '*') ||
        (!/[*?]/.test(key) && (l.prefix === '' || key.startsWith(`${l.prefix}/`)));
    const role = S3_CHANNEL_ROLES[l.channel];
    return l.bucket === bucket && covers && role ? [role] : [];
  });
}

/**
 * The roles the job gives a bucket for ListBucket: those shared by every prefix the grant is limited
 * to (`s3:prefix`); a grant without prefixes needs a location that is the whole bucket.
 */
function s3BucketRoles(resource: string, grant: Grant, job: JobContext): ConfigRole[] {
  const [, bucket, key] = S3_ARN.exec(resource) ?? [];
  if (!bucket || key !== undefined) return [];
  const prefixes = conditionValues(grant.condition, 'StringLike', 's3:prefix');
  const rolesOf = (prefix: string): ConfigRole[] =>
    job.s3Locations.flatMap((l) => {
      const role = S3_CHANNEL_ROLES[l.channel];
      const covers = prefix === '' ? l.prefix === '' : listPrefixesOf(l).includes(prefix);
      return l.bucket === bucket && covers && role ? [role] : [];
    });
  const perPrefix = prefixes.length > 0 ? prefixes.map(rolesOf) : [rolesOf('')];
  return [...new Set(perPrefix.flat())].filter((role) => perPrefix.every((roles) => roles.includes(role)));
}

const keyIdOf = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

function keyRoles(resource: string, grant: Grant, job: JobContext): ConfigRole[] {
  const aliases = conditionValues(grant.condition, 'ForAnyValue:StringEquals', 'kms:ResourceAliases');
  const id = keyIdOf(resource);
  const env = { partition: job.partition, region: job.region ?? '', account: job.accountId ?? '' };
  // An alias names keys of the account and region its ARN names (the job's for a bare alias).
  const aliasKeysOf = (keyRef: string): string => {
    const { partition, region, account } = keyArnEnvironmentOf(keyRef, env);
    return `arn:${partition}:kms:${region}:${account}:key/*`;
  };
  const named = job.kmsKeys.filter((key) =>
    id === '*'
      ? aliases.length > 0 &&
        resource === aliasKeysOf(key.keyId) &&
        aliases.every((alias) => aliasOf(key.keyId) === alias)
      : !key.keyId.includes('alias/') && keyIdOf(key.keyId) === id,
  );
  return [...new Set(named.map((key) => KEY_ROLES[key.use]))];
}

/** The roles the job's configuration gives to the whole of it, whatever the resource. */
function jobWideRoles(job: JobContext): ConfigRole[] {
  return [
    CONFIG_ROLES.logs,
    CONFIG_ROLES.metrics,
    ...(repositoryArnsOf(job).length > 0 ? [CONFIG_ROLES.imagePull] : []),
    ...(job.subnets.length > 0 ? [CONFIG_ROLES.vpc] : []),
    ...(job.fileSystems.length > 0 ? [CONFIG_ROLES.fileSystem] : []),
  ];
}

function networkRoles(resource: string, job: JobContext): ConfigRole[] {
  const parts = parseArn(resource);
  if (!parts || parts.service !== 'ec2' || job.subnets.length === 0) return [];
  const [type, id = ''] = parts.resource.split('/');
  const ofJob =
    (type === 'network-interface' && id === '*') ||
    // A wildcard id in the configuration is every subnet or group: none is the job's.
    (!hasWildcard(id) && type === 'subnet' && job.subnets.includes(id)) ||
    (!hasWildcard(id) && type === 'security-group' && job.securityGroups.includes(id));
  return ofJob ? [CONFIG_ROLES.vpc] : [];
}

/**
 * Question 2: the roles the job's configuration gives one resource of a grant. Derived from the job
 * alone, never from what the grant says about where its resources came from.
 */
function configRolesOf(resource: string, action: string, grant: Grant, job: JobContext): ConfigRole[] {
  switch (resourceKindOf(action)) {
    case RESOURCE_KINDS.s3Object:
      return s3ObjectRoles(resource, job);
    case RESOURCE_KINDS.s3Bucket:
      return s3BucketRoles(resource, grant, job);
    case RESOURCE_KINDS.kmsKey:
      return keyRoles(resource, grant, job);
    case RESOURCE_KINDS.ecrRepository:
      return repositoryArnsOf(job).includes(resource) ? [CONFIG_ROLES.imagePull] : [];
    case RESOURCE_KINDS.network:
    case RESOURCE_KINDS.networkInterface:
      return networkRoles(resource, job);
    case RESOURCE_KINDS.logGroup:
    case RESOURCE_KINDS.logGroupOnly: {
      const group = `arn:${job.partition}:logs:${job.region ?? ''}:${job.accountId ?? ''}:log-group:${logGroupOf(job)}`;
      const streams =
        resourceKindOf(action) === RESOURCE_KINDS.logGroup && resource === `${group}:log-stream:*`;
      return resource === group || streams ? [CONFIG_ROLES.logs] : [];
    }
    case RESOURCE_KINDS.fileSystem:
      return job.fileSystems.some((fs) => !hasWildcard(fs.id) && resource.endsWith(`:file-system/${fs.id}`))
        ? [CONFIG_ROLES.fileSystem]
        : [];
    case RESOURCE_KINDS.metrics:
      return resource === '*' &&
        conditionValues(grant.condition, 'StringEquals', 'cloudwatch:namespace').length > 0
        ? [CONFIG_ROLES.metrics]
        : [];
    case RESOURCE_KINDS.none:
      return resource === '*' ? jobWideRoles(job) : [];
    default:
      return [];
  }
}

/** Question 1, the pattern half: a ListBucket bucket is declared by its ARN or by every prefix it is limited to. */
function isDeclared(resource: string, grant: Grant, patterns: readonly string[]): boolean {
  const matched = (text: string): boolean => patterns.some((pattern) => globMatches(pattern, text));
  if (matched(resource)) return true;
  if (resourceKindOf(grant.actions[0] ?? '') !== RESOURCE_KINDS.s3Bucket || !S3_ARN.test(resource))
    return false;
  const prefixes = conditionValues(grant.condition, 'StringLike', 's3:prefix');
  // The bare prefix (`data`, listing the folder itself) is declared with the objects under it (`data/*`).
  return (prefixes.length > 0 ? prefixes : ['*']).every(
    (prefix) => matched(`${resource}/${prefix}`) || matched(`${resource}/${prefix}/*`),
  );
}

/**
 * The condition every grant of the action carries for this job: the row's own, the bucket owner for
 * S3, and the job's subnets for actions on existing network interfaces.
 */
function requiredConditionOf(row: ActionRow, job: JobContext): PolicyCondition | undefined {
  switch (row.resourceKind) {
    case RESOURCE_KINDS.s3Object:
    case RESOURCE_KINDS.s3Bucket:
      return { ...row.requiredCondition, StringEquals: { 's3:ResourceAccount': [job.accountId ?? ''] } };
    case RESOURCE_KINDS.networkInterface:
      // No subnet to bind to: an impossible condition, so the grant is refused.
      return mergeConditions(
        row.requiredCondition,
        jobSubnetCondition(job) ?? { ArnEquals: { 'ec2:Subnet': [] } },
      );
    default:
      return row.requiredCondition;
  }
}

/**
 * Why no action may be applied to a resource, whatever the action: a policy variable or escaped data,
 * an ARN IAM would read as another resource, another account.
 */
function resourceRefusal(what: string, resource: string, job: JobContext): Refusal | undefined {
  if (resource === '*') return undefined;
  if (!isLiteral(resource)) {
    return refusal(
      REFUSAL_CODES.resourceNotLiteral,
      `${what}: ${resource} holds a policy variable or an escaped $, * or ? of the job or the text`,
    );
  }
  const arn = canonicalArnOf(resource);
  if (!arn || arn.partition !== job.partition) {
    return refusal(
      REFUSAL_CODES.resourceNotCanonical,
      `${what}: ${resource} is not a canonical ARN of the job's partition`,
    );
  }
  return arn.account !== undefined && arn.account !== job.accountId
    ? refusal(REFUSAL_CODES.resourceOtherAccount, `${what}: ${resource} belongs to account ${arn.account}`)
    : undefined;
}

/** Why the actions of one grant may not be applied to its resources; empty when they may. */
function grantRefusals(what: string, grant: Grant, job: JobContext, patterns: readonly string[]): Refusal[] {
  const refusals: Refusal[] = [];
  const applicable = grant.actions.filter((action) => {
    const row = actionRow(action);
    if (row?.mayAutoApply) return true;
    refusals.push(
      row?.widensPrivilege || isEscalation(action)
        ? refusal(REFUSAL_CODES.widensPrivilege, `${what}: ${action} can widen the role's own permissions`)
        : refusal(
            REFUSAL_CODES.actionNotAutoApplicable,
            `${what}: ${action} is never applied without a human`,
          ),
    );
    return false;
  });
  if (grant.resourceSource !== 'job' && grant.resourceSource !== 'not-resource-scoped') {
    refusals.push(
      refusal(
        REFUSAL_CODES.resourceNotFromJob,
        `${what}: resources ${grant.resources.join(', ')} do not come from the job's configuration${grant.reason ? ` (${grant.reason})` : ''}`,
      ),
    );
    return refusals;
  }
  const variable = Object.values(grant.condition ?? {})
    .flatMap((keys) => Object.values(keys).flat())
    .find((value) => !isLiteral(value));
  if (variable !== undefined) {
    refusals.push(
      refusal(
        REFUSAL_CODES.resourceNotLiteral,
        `${what}: the condition value ${variable} holds a policy variable or an escaped character`,
      ),
    );
  }
  const resources = grant.resources.filter((resource) => {
    const reason = resourceRefusal(what, resource, job);
    if (reason) refusals.push(reason);
    return reason === undefined;
  });
  for (const action of applicable) {
    const row = actionRow(action);
    if (!row) continue;
    const kind = row.resourceKind;
    const required = requiredConditionOf(row, job);
    if (required && !includesCondition(grant.condition, required)) {
      refusals.push(
        refusal(
          REFUSAL_CODES.conditionMissing,
          `${what}: ${action} lacks the condition ${JSON.stringify(required)}`,
        ),
      );
    }
    for (const resource of resources) {
      if (resource === '*' && kind !== RESOURCE_KINDS.none && kind !== RESOURCE_KINDS.metrics) {
        refusals.push(
          refusal(REFUSAL_CODES.wildcardResource, `${what}: ${action} on * for a resource-scoped action`),
        );
        continue;
      }
      if (DECLARED_RESOURCE_KINDS.has(kind) && !isDeclared(resource, grant, patterns)) {
        refusals.push(
          refusal(
            REFUSAL_CODES.resourceNotDeclared,
            `${what}: ${resource} matches no declared resource pattern`,
          ),
        );
      }
      const roles = configRolesOf(resource, action, grant, job);
      const serves: readonly ConfigRole[] = row.serves;
      if (roles.length === 0) {
        refusals.push(
          refusal(
            REFUSAL_CODES.resourceNotInJob,
            `${what}: the job's configuration gives ${resource} no role`,
          ),
        );
      } else if (!roles.some((role) => serves.includes(role))) {
        refusals.push(
          refusal(
            REFUSAL_CODES.actionDoesNotFitRole,
            `${what}: ${action} does not fit ${resource}'s role in the job (${roles.join(', ')})`,
          ),
        );
      }
    }
  }
  return refusals;
}

/** Why one finding may not be applied; empty when it may. */
function findingRefusals(
  finding: Finding,
  job: JobContext,
  roleName: string,
  patterns: readonly string[],
): Refusal[] {
  const refusals: Refusal[] = [];
  const what = `${finding.channel} (${finding.ruleId})`;
  if (finding.explicitDeny)
    refusals.push(refusal(REFUSAL_CODES.explicitDeny, `${what}: an explicit deny is not lifted by an Allow`));
  else if (finding.fixLocation !== FIX_LOCATIONS.identityPolicy) {
    refusals.push(
      refusal(
        REFUSAL_CODES.notIdentityPolicy,
        `${what}: the fix location is ${finding.fixLocation}, not the role's identity policy`,
      ),
    );
  }
  if (finding.certainty !== 'certain')
    refusals.push(refusal(REFUSAL_CODES.uncertain, `${what}: the message names several causes`));
  const principalRole = finding.principalArn ? assumedRoleNameOf(finding.principalArn) : roleName;
  if (
    principalRole !== roleName ||
    (finding.principalArn && accountOf(finding.principalArn) !== job.accountId)
  ) {
    refusals.push(
      refusal(
        REFUSAL_CODES.principalNotExecutionRole,
        `${what}: the denied principal ${finding.principalArn ?? ''} is not the job's execution role`,
      ),
    );
  }
  if (finding.grants.length === 0) {
    refusals.push(
      refusal(
        REFUSAL_CODES.nothingApplicable,
        `${what}: nothing applicable${finding.notes.length > 0 ? ` (${finding.notes.join('; ')})` : ''}`,
      ),
    );
  }
  for (const grant of finding.grants) refusals.push(...grantRefusals(what, grant, job, patterns));
  return refusals;
}

/** The gates: who may be changed, and whether text of this origin may ever be applied without a human. */
function gateRefusals(
  diagnosis: PermissionDiagnosis,
  job: JobContext & { accountId: string },
  roleName: string,
  config: GuardConfig,
  context: GuardContext,
): Refusal[] {
  const gate: Refusal[] = [];
  if (!config.autoRemediate && !context.humanApproved)
    gate.push(refusal(REFUSAL_CODES.autoRemediationOff, 'auto-remediation is off'));
  if (!config.allowedAccounts.includes(job.accountId))
    gate.push(refusal(REFUSAL_CODES.accountNotAllowed, `account ${job.accountId} is not in allowedAccounts`));
  if (parseArn(job.roleArn ?? '')?.accountId !== job.accountId) {
    gate.push(
      refusal(
        REFUSAL_CODES.roleOtherAccount,
        `the role ${job.roleArn ?? ''} is not in the job's account ${job.accountId}`,
      ),
    );
  }
  if (job.otherRoleArns && job.otherRoleArns.length > 0) {
    gate.push(
      refusal(
        REFUSAL_CODES.severalExecutionRoles,
        `the job's configurations name ${job.otherRoleArns.length + 1} execution roles; its resources cannot be told apart by role`,
      ),
    );
  }
  const optedIn =
    config.roleNamePatterns.some((pattern) => rolePatternMatches(pattern, job.roleArn)) ||
    context.roleTags?.[OPT_IN_TAG.key] === OPT_IN_TAG.value;
  if (!optedIn) {
    gate.push(
      refusal(
        REFUSAL_CODES.roleNotOptedIn,
        `role ${roleName} matches no roleNamePatterns and has no ${OPT_IN_TAG.key}=true tag`,
      ),
    );
  }
  if (diagnosis.untrustedText && !context.humanApproved) {
    gate.push(
      refusal(
        REFUSAL_CODES.untrustedText,
        'the failure text was written by the training container (AlgorithmError): never applied without a human',
      ),
    );
  }
  if (job.origin === 'api-call' && !context.humanApproved) {
    gate.push(
      refusal(
        REFUSAL_CODES.apiCallOrigin,
        'the denial comes from a CloudTrail-recorded call whose request parameters anyone could set: never applied without a human',
      ),
    );
  }
  return gate;
}

/** Decides what, if anything, may be attached to the job's execution role. */
export function decideAutoApply(
  diagnosis: PermissionDiagnosis,
  job: JobContext | undefined,
  config: GuardConfig,
  context: GuardContext = {},
): AutoApplyDecision {
  const roleName = roleNameOf(job?.roleArn);
  const accountId = job?.accountId;
  if (!job || !roleName || !accountId) {
    return {
      eligible: false,
      refusals: [
        ...(config.autoRemediate || context.humanApproved
          ? []
          : [refusal(REFUSAL_CODES.autoRemediationOff, 'auto-remediation is off')]),
        refusal(REFUSAL_CODES.noRoleOrAccount, 'the job description names no execution role or account'),
      ],
    };
  }
  const gate = gateRefusals(diagnosis, { ...job, accountId }, roleName, config, context);
  const patterns = resourcePatternsFor(config, job);
  const refusals = [...gate];
  const applicable = diagnosis.findings.filter((finding) => {
    const reasons = findingRefusals(finding, job, roleName, patterns);
    refusals.push(...reasons);
    return reasons.length === 0;
  });
  const grants = grantsToPropose(applicable, context.verification);
  if (grants.length === 0) {
    return {
      eligible: false,
      refusals:
        refusals.length > 0 ? refusals : [refusal(REFUSAL_CODES.nothingMissing, 'nothing is missing')],
      roleName,
    };
  }
  const policy = policyFromGrants(grants);
  return { eligible: gate.length === 0, refusals, policy, policyName: policyNameOf(policy), roleName };
}

/** A deletion (revoke, undo, cleanup) may touch only a policy of the service's prefix. */
export const revocationRefusals = (policyName: string): Refusal[] =>
  isServicePolicyName(policyName)
    ? []
    : [
        refusal(
          REFUSAL_CODES.notServicePolicy,
          `${policyName} is not one of the service's policies (sagemaker-iam-remediator-*): never changed`,
        ),
      ];

/**
 * The gate of an undo from chat, on the record as stored (the click carries only its id): the record
 * is the one asked for, in an allowed account, its role in that account, and its policy the
 * service's. The removal itself then passes {@link grantWriteRefusals}: it only removes.
 */
export function undoRefusals(
  target: UndoTarget,
  askedFor: string,
  config: Pick<GuardConfig, 'allowedAccounts'>,
): Refusal[] {
  return [
    ...(target.recordId === askedFor
      ? []
      : [refusal(REFUSAL_CODES.recordMismatch, `the stored record is not record ${askedFor}`)]),
    ...(config.allowedAccounts.includes(target.accountId)
      ? []
      : [refusal(REFUSAL_CODES.accountNotAllowed, `account ${target.accountId} is not in allowedAccounts`)]),
    ...(parseArn(target.roleArn)?.accountId === target.accountId
      ? []
      : [
          refusal(
            REFUSAL_CODES.roleOtherAccount,
            `role ${target.roleArn} is not in account ${target.accountId}`,
          ),
        ]),
    ...revocationRefusals(target.policyName),
  ];
}

/** What one write of the service's merged policy on a role would change. */
export interface GrantWrite {
  readonly policyName: string;
  /** The statements on the role now (the same-named policy, as read back). */
  readonly current: readonly StoredStatement[];
  /** The statements the write leaves on the role. */
  readonly next: readonly StoredStatement[];
  /** What the guard approved for this write, as written (record Sids, expiry); none for a removal. */
  readonly approved?: PolicyDocument;
  /** The expiry every approved statement must carry; none for `grantTtlDays` 0. */
  readonly expiresAt?: string;
}

/**
 * The gate of every write of a merged policy: only the service's policy name, nothing but what is
 * already on the role or approved now (a removal only removes), every new statement expires, and
 * nothing dropped but Allows: the policy is read back from IAM, where a hand may have put a Deny
 * (even under a record's Sid), and removing a Deny widens the role.
 */
export function grantWriteRefusals(write: GrantWrite): Refusal[] {
  const refusals = revocationRefusals(write.policyName);
  const approved = write.approved?.Statement ?? [];
  const allowed = new Set([...write.current, ...approved].map((s) => JSON.stringify(s)));
  write.next
    .filter((s) => !allowed.has(JSON.stringify(s)))
    .forEach((s) =>
      refusals.push(
        refusal(
          REFUSAL_CODES.statementNotApproved,
          `statement ${JSON.stringify(s.Sid ?? null)} is neither on the role nor approved`,
        ),
      ),
    );
  const kept = new Set(write.next.map((s) => JSON.stringify(s)));
  write.current
    .filter((s) => s.Effect !== 'Allow' && !kept.has(JSON.stringify(s)))
    .forEach((s) =>
      refusals.push(
        refusal(
          REFUSAL_CODES.denyRemoved,
          `statement ${JSON.stringify(s.Sid ?? null)} is not an Allow: removing it would widen the role`,
        ),
      ),
    );
  if (write.expiresAt) {
    approved
      .filter((s) => expiryOf(s) !== write.expiresAt)
      .forEach((s) =>
        refusals.push(
          refusal(REFUSAL_CODES.expiryMissing, `statement ${s.Sid} does not expire at ${write.expiresAt}`),
        ),
      );
  }
  return refusals;
}
