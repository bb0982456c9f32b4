/**
 * Reads the app's shape from CDK context (cdk.json or `-c key=value`) and validates every key and
 * value: a misspelt key or a `True` must stop the deploy with one line, not be read as "off".
 * Lists may be JSON arrays (cdk.json) or comma-separated strings (the command line).
 */
import type { Node } from 'constructs';
import type { MemberAccountForwarderProps } from './member-account-forwarder.js';
import { isRegionName, validateForwarderProps } from './member-account-forwarder.js';
import type { RemediatorStackProps } from './remediator-stack.js';
import type { JobType, SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';
import { validateProps } from './sagemaker-permission-remediator.js';

/** The context is not one the app can deploy; the message is one line naming every problem. */
export class ContextError extends Error {
  public constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ContextError';
  }
}

/** Every context key the app reads, by the kind of value it takes. */
export const CONTEXT_KEYS = {
  notifyEmails: 'list',
  jobTypes: 'list',
  autoRemediate: 'boolean',
  allowedAccounts: 'list',
  roleNamePatterns: 'list',
  autoRemediateResources: 'list',
  dryRun: 'boolean',
  notifyNonPermission: 'boolean',
  watchApiDenials: 'boolean',
  slackWorkspaceId: 'string',
  slackChannelId: 'string',
  organizationId: 'string',
  memberOf: 'string',
  memberRoleName: 'string',
  memberRoleRegion: 'string',
  centralRegion: 'string',
  incidentWindowMinutes: 'number',
  maxConcurrency: 'number',
  preflight: 'boolean',
  stopOnPreflightFailure: 'boolean',
  grantTtlDays: 'number',
  reviewUnusedDays: 'number',
  removeUnusedGrants: 'boolean',
} as const;
type ContextKey = keyof typeof CONTEXT_KEYS;

/** Keys the CDK itself sets or reads (feature flags, lookups, CLI settings): not ours to check. */
const isCdkKey = (key: string): boolean =>
  key.startsWith('@') || key.includes(':') || ['cli-telemetry', 'acknowledged-issue-numbers'].includes(key);

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The known key nearest to a misspelt one. */
export const closestKey = (key: string): ContextKey =>
  (Object.keys(CONTEXT_KEYS) as ContextKey[]).reduce((best, known) =>
    editDistance(key, known) < editDistance(key, best) ? known : best,
  );

type Values = Partial<{
  [K in ContextKey]: (typeof CONTEXT_KEYS)[K] extends 'boolean'
    ? boolean
    : (typeof CONTEXT_KEYS)[K] extends 'list'
      ? string[]
      : (typeof CONTEXT_KEYS)[K] extends 'number'
        ? number
        : string;
}>;

/** Parses every key of ours, collecting every problem. */
function parse(context: Record<string, unknown>): { values: Values; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (isCdkKey(key)) continue;
    if (!Object.hasOwn(CONTEXT_KEYS, key)) {
      problems.push(`unknown context key '${key}' (did you mean '${closestKey(key)}'?)`);
      continue;
    }
    const kind = CONTEXT_KEYS[key as ContextKey];
    if (kind === 'boolean') {
      if (value === true || value === 'true') values[key] = true;
      else if (value === false || value === 'false') values[key] = false;
      else problems.push(`${key} must be true or false, not '${String(value)}'`);
    } else if (kind === 'list') {
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) values[key] = value;
      else if (typeof value === 'string')
        values[key] = value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
      else problems.push(`${key} must be a list of strings (JSON array or comma-separated)`);
    } else if (kind === 'number') {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'number' && Number.isFinite(number)) values[key] = number;
      else problems.push(`${key} must be a number, not '${String(value)}'`);
    } else if (typeof value === 'string') {
      if (value !== '') values[key] = value;
    } else {
      problems.push(`${key} must be a string`);
    }
  }
  return { values: values as Values, problems };
}

/** What the app deploys: the remediator stack, or the member-account forwarder. */
export type AppShape =
  | { readonly kind: 'remediator'; readonly props: RemediatorStackProps }
  | { readonly kind: 'member'; readonly forwarder: MemberAccountForwarderProps };

/**
 * The app's shape from context.
 * @throws ContextError naming every problem: unknown keys, values of the wrong kind, and what the
 *   constructs' own validation refuses.
 */
export function appShapeFromContext(node: Node): AppShape {
  const { values, problems } = parse(node.getAllContext());
  const nonEmpty = (list: string[] | undefined) => (list && list.length > 0 ? list : undefined);
  const jobTypes = nonEmpty(values.jobTypes) as JobType[] | undefined;
  if (values.memberOf) {
    const forwarder: MemberAccountForwarderProps = {
      centralAccountId: values.memberOf,
      jobTypes,
      watchApiDenials: values.watchApiDenials,
      allowRemediation: values.autoRemediate,
      roleNamePatterns: values.roleNamePatterns,
      memberRoleName: values.memberRoleName,
      memberRoleRegion: values.memberRoleRegion,
      centralRegion: values.centralRegion,
    };
    problems.push(...validateForwarderProps(forwarder));
    if (problems.length > 0) throw new ContextError(problems);
    return { kind: 'member', forwarder };
  }
  const slackGiven = [values.slackWorkspaceId, values.slackChannelId].filter(Boolean).length;
  if (slackGiven === 1)
    problems.push('slackWorkspaceId and slackChannelId go together: give both or neither');
  if (slackGiven === 2 && (values.allowedAccounts ?? []).length === 0)
    problems.push(
      'Slack approvals (slackWorkspaceId, slackChannelId) need allowedAccounts: the approver acts only in allowed accounts, so no click could succeed',
    );
  const remediator: SageMakerPermissionRemediatorProps = {
    notifyEmails: values.notifyEmails,
    autoRemediate: values.autoRemediate,
    allowedAccounts: values.allowedAccounts,
    roleNamePatterns: values.roleNamePatterns,
    autoRemediateResources: nonEmpty(values.autoRemediateResources),
    jobTypes,
    dryRun: values.dryRun,
    notifyNonPermission: values.notifyNonPermission,
    watchApiDenials: values.watchApiDenials,
    incidentWindowMinutes: values.incidentWindowMinutes,
    maxConcurrency: values.maxConcurrency,
    grantTtlDays: values.grantTtlDays,
    reviewUnusedDays: values.reviewUnusedDays,
    removeUnusedGrants: values.removeUnusedGrants,
    central: values.organizationId
      ? { organizationId: values.organizationId, memberRoleName: values.memberRoleName }
      : undefined,
    preflight: values.preflight ? { stopOnPreflightFailure: values.stopOnPreflightFailure } : undefined,
  };
  if (values.stopOnPreflightFailure && !values.preflight)
    problems.push('stopOnPreflightFailure needs preflight=true');
  if (values.centralRegion && !values.organizationId)
    problems.push(
      'centralRegion is for organization mode: give organizationId (central) or memberOf (member)',
    );
  if (values.centralRegion && !isRegionName(values.centralRegion))
    problems.push('centralRegion must be a region name such as us-east-1');
  problems.push(...validateProps(remediator));
  if (problems.length > 0) throw new ContextError(problems);
  const slack =
    values.slackWorkspaceId && values.slackChannelId
      ? { workspaceId: values.slackWorkspaceId, channelId: values.slackChannelId }
      : undefined;
  // The one central stack lives in the home region, whatever the CLI's default region.
  const env = values.centralRegion ? { region: values.centralRegion } : undefined;
  return { kind: 'remediator', props: { remediator, slack, env } };
}
