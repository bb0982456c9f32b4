/**
 * The only place that says yes to auto-remediation. Pure: the Lambda and the CLI call it with the
 * same inputs and get the same decision, including every reason for a refusal.
 *
 * A finding is applied only when all hold: the fix is an Allow on the job's own execution role
 * (implicit identity-policy denial, certain), every action is in the vetted allowlist, and every
 * resource comes from the job's own configuration in the job's own account. Text the container
 * wrote can therefore only select among permissions the job's configuration already implies.
 */
import { AUTO_APPLY_ALLOWLIST } from './actions.js';
import { assumedRoleNameOf, roleNameOf } from './job-context.js';
import type { PolicyDocument } from './propose.js';
import { grantsToPropose, policyFromGrants, policyNameOf } from './propose.js';
import type { Finding, JobContext, PermissionDiagnosis, Verification } from './types.js';
import { FIX_LOCATIONS } from './types.js';

/** The tag a role carries to opt in when it matches no configured name pattern. */
export const OPT_IN_TAG = { key: 'sagemaker-iam-remediator:auto', value: 'true' } as const;

export interface GuardConfig {
  /** Master switch. @default false */
  readonly autoRemediate: boolean;
  /** Accounts whose roles may be changed. */
  readonly allowedAccounts: readonly string[];
  /** Role-name globs (`*` matches any run of characters) that opt a role in. */
  readonly roleNamePatterns: readonly string[];
}

export interface AutoApplyDecision {
  /** True when `policy` may be attached to `roleName` now. */
  readonly eligible: boolean;
  /** Every reason something was not applied; empty when everything was. */
  readonly refusals: readonly string[];
  /** Exactly what would be attached. */
  readonly policy?: PolicyDocument;
  readonly policyName?: string;
  readonly roleName?: string;
}

const accountOf = (arn: string): string | undefined =>
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1];

/** A role-name glob as a whole-string match: only `*` is special. */
export const globMatches = (pattern: string, name: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(name);

/** Why one finding may not be applied; empty when it may. */
function findingRefusals(finding: Finding, job: JobContext, roleName: string): string[] {
  const refusals: string[] = [];
  const what = `${finding.channel} (${finding.ruleId})`;
  if (finding.explicitDeny) refusals.push(`${what}: an explicit deny is not lifted by an Allow`);
  else if (finding.fixLocation !== FIX_LOCATIONS.identityPolicy) {
    refusals.push(`${what}: the fix location is ${finding.fixLocation}, not the role's identity policy`);
  }
  if (finding.certainty !== 'certain') refusals.push(`${what}: the message names several causes`);
  const principalRole = finding.principalArn ? assumedRoleNameOf(finding.principalArn) : roleName;
  if (
    principalRole !== roleName ||
    (finding.principalArn && accountOf(finding.principalArn) !== job.accountId)
  ) {
    refusals.push(
      `${what}: the denied principal ${finding.principalArn ?? ''} is not the job's execution role`,
    );
  }
  if (finding.grants.length === 0) {
    refusals.push(
      `${what}: nothing applicable${finding.notes.length > 0 ? ` (${finding.notes.join('; ')})` : ''}`,
    );
  }
  for (const grant of finding.grants) {
    for (const action of grant.actions) {
      if (!AUTO_APPLY_ALLOWLIST.has(action))
        refusals.push(`${what}: ${action} is not in the auto-apply allowlist`);
    }
    const unscopedOnly = grant.resourceSource === 'not-resource-scoped';
    if (grant.resourceSource !== 'job' && !unscopedOnly) {
      refusals.push(
        `${what}: resources ${grant.resources.join(', ')} do not come from the job's configuration`,
      );
    }
    for (const resource of grant.resources) {
      if (resource === '*' && !unscopedOnly)
        refusals.push(`${what}: ${resource} on a resource-scoped action`);
      const account = resource === '*' ? undefined : accountOf(resource);
      if (account && account !== job.accountId)
        refusals.push(`${what}: ${resource} belongs to another account`);
    }
  }
  return refusals;
}

/** Decides what, if anything, may be attached to the job's execution role. */
export function decideAutoApply(
  diagnosis: PermissionDiagnosis,
  job: JobContext | undefined,
  config: GuardConfig,
  context: {
    readonly roleTags?: Readonly<Record<string, string>>;
    readonly verification?: Verification;
  } = {},
): AutoApplyDecision {
  const gate: string[] = config.autoRemediate ? [] : ['auto-remediation is off'];
  const roleName = roleNameOf(job?.roleArn);
  if (!job || !roleName || !job.accountId) {
    return { eligible: false, refusals: [...gate, 'the job description names no execution role or account'] };
  }
  if (!config.allowedAccounts.includes(job.accountId))
    gate.push(`account ${job.accountId} is not in allowedAccounts`);
  const optedIn =
    config.roleNamePatterns.some((pattern) => globMatches(pattern, roleName)) ||
    context.roleTags?.[OPT_IN_TAG.key] === OPT_IN_TAG.value;
  if (!optedIn)
    gate.push(`role ${roleName} matches no roleNamePatterns and has no ${OPT_IN_TAG.key}=true tag`);

  const refusals = [...gate];
  const applicable = diagnosis.findings.filter((finding) => {
    const reasons = findingRefusals(finding, job, roleName);
    refusals.push(...reasons);
    return reasons.length === 0;
  });
  const grants = grantsToPropose(applicable, context.verification);
  if (grants.length === 0) {
    return { eligible: false, refusals: refusals.length > 0 ? refusals : ['nothing is missing'], roleName };
  }
  const policy = policyFromGrants(grants);
  return { eligible: gate.length === 0, refusals, policy, policyName: policyNameOf(policy), roleName };
}
