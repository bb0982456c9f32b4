/**
 * The Lambda's configuration, read once per container from its environment. The CDK construct sets
 * these variables; every default is written once, here.
 */
import type { GuardConfig } from '../core/guard.js';
import { checkedTtlDays, GRANT_DEFAULTS } from '../core/grants.js';
import { INCIDENT_DEFAULTS } from '../core/incident.js';

/** Where a function runs: its account and region. */
export interface HomeEnvironment {
  readonly accountId: string;
  readonly region: string;
}

export interface RemediatorConfig extends GuardConfig {
  /** Where proposals are published. */
  readonly topicArn: string;
  /** Publish a short note for failures that are not permission problems. @default false */
  readonly notifyNonPermission: boolean;
  /** Log what auto-remediation would attach instead of attaching it. @default false */
  readonly dryRun: boolean;
  /** DynamoDB table for duplicate-event suppression; none disables it (tests, local runs). */
  readonly idempotencyTableName?: string;
  /** DynamoDB table of proposals a human may approve from chat; none disables approvals. */
  readonly proposalsTableName?: string;
  /**
   * Failures of one cause within this many minutes are one incident: one message, then one digest.
   * 0, or no idempotency table, publishes every failure.
   */
  readonly incidentWindowMinutes?: number;
  /** Days each written statement stays valid (IAM enforces it); 0 is no expiry. @default 30 */
  readonly grantTtlDays: number;
  /** DynamoDB table of the records of why each write happened; none keeps no record. */
  readonly grantsTableName?: string;
  /** The scheduled cleanup reports grants unused for this many days; none skips the review. */
  readonly reviewUnusedDays?: number;
  /** The scheduled cleanup deletes unused grants, not only reports them. @default false */
  readonly removeUnusedGrants: boolean;
  /**
   * A self-test invocation (never read from the environment): the message is marked as a test, and
   * the handler writes nothing. See lambdas/core/selftest.ts.
   */
  readonly selftest?: boolean;
  /** Central mode: the role to assume in a member account, and this (the central) account. */
  readonly central?: { readonly memberRoleName: string; readonly homeAccountId: string };
  /**
   * This function's account and region (`HOME_ACCOUNT_ID`, which the construct sets, and Lambda's
   * `AWS_REGION`): its own clients act for jobs there and nowhere else. Unset, they act for none.
   */
  readonly home?: HomeEnvironment;
}

export const DEFAULTS = {
  incidentWindowMinutes: INCIDENT_DEFAULTS.windowMinutes,
  notifyNonPermission: false,
  dryRun: false,
  autoRemediate: false,
  grantTtlDays: GRANT_DEFAULTS.ttlDays,
  removeUnusedGrants: false,
} as const;

const flag = (value: string | undefined, fallback: boolean): boolean =>
  value === undefined || value === '' ? fallback : value.toLowerCase() === 'true';
const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * `AUTO_REMEDIATE_RESOURCES`: the resource ARN globs auto-remediation may grant, as a JSON array
 * (`["arn:aws:s3:::my-bucket/*"]`) or a comma-separated list. Unset or empty: the guard's default (the
 * account's SageMaker default bucket only); `[]`: no bucket, key or repository is declared.
 */
function patterns(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!value.trim().startsWith('[')) return list(value);
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string'))
    throw new Error('AUTO_REMEDIATE_RESOURCES is neither a JSON array of strings nor a comma-separated list');
  return parsed.map((item) => item.trim()).filter(Boolean);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RemediatorConfig {
  const topicArn = env.TOPIC_ARN;
  if (!topicArn) throw new Error('TOPIC_ARN is not set');
  return {
    topicArn,
    notifyNonPermission: flag(env.NOTIFY_NON_PERMISSION, DEFAULTS.notifyNonPermission),
    dryRun: flag(env.DRY_RUN, DEFAULTS.dryRun),
    autoRemediate: flag(env.AUTO_REMEDIATE, DEFAULTS.autoRemediate),
    allowedAccounts: list(env.ALLOWED_ACCOUNTS),
    roleNamePatterns: list(env.ROLE_NAME_PATTERNS),
    resourcePatterns: patterns(env.AUTO_REMEDIATE_RESOURCES),
    idempotencyTableName: env.IDEMPOTENCY_TABLE_NAME || undefined,
    proposalsTableName: env.PROPOSALS_TABLE_NAME || undefined,
    incidentWindowMinutes: env.INCIDENT_WINDOW_MINUTES
      ? Number(env.INCIDENT_WINDOW_MINUTES)
      : DEFAULTS.incidentWindowMinutes,
    grantTtlDays: checkedTtlDays(env.GRANT_TTL_DAYS ? Number(env.GRANT_TTL_DAYS) : DEFAULTS.grantTtlDays),
    grantsTableName: env.GRANTS_TABLE_NAME || undefined,
    reviewUnusedDays: env.REVIEW_UNUSED_DAYS ? Number(env.REVIEW_UNUSED_DAYS) : undefined,
    removeUnusedGrants: flag(env.REMOVE_UNUSED_GRANTS, DEFAULTS.removeUnusedGrants),
    central:
      env.MEMBER_ROLE_NAME && env.HOME_ACCOUNT_ID
        ? { memberRoleName: env.MEMBER_ROLE_NAME, homeAccountId: env.HOME_ACCOUNT_ID }
        : undefined,
    home:
      env.HOME_ACCOUNT_ID && env.AWS_REGION
        ? { accountId: env.HOME_ACCOUNT_ID, region: env.AWS_REGION }
        : undefined,
  };
}
