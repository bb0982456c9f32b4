/**
 * The flags of each subcommand, as data for the one parser (flags.ts), and the types of their values:
 * bin/commands.ts reads them into its table, and each subcommand's module types its `run` with them.
 */
import { GRANT_DEFAULTS } from '../lambdas/core/grants.js';
import { OUTPUT_FORMATS } from '../lambdas/core/render.js';
import type { FlagSpec, FlagSpecs, FlagValues } from './flags.js';
import { defaultsOf } from './flags.js';

/** Longer than any FailureReason (1,024) or CloudTrail message; anything bigger is not a failure text. */
export const MAX_REASON_LENGTH = 16_384;

export const DIAGNOSE_FLAGS = {
  reason: {
    type: 'string',
    input: 'text',
    limit: MAX_REASON_LENGTH,
    placeholder: 'TEXT|-',
    summary: "the job's FailureReason text (- reads it from standard input)",
  },
  event: {
    type: 'string',
    input: 'path',
    placeholder: 'FILE|-',
    summary: 'a job state change event or a Describe*Job output (JSON)',
  },
  jsonl: {
    type: 'string',
    input: 'path',
    placeholder: 'FILE|-',
    summary: 'a batch: one {id, failureReason, event?} per line, one JSON line out per line in',
  },
  format: { type: 'string', choices: OUTPUT_FORMATS, default: 'text', summary: 'how to print it' },
  'auto-remediate': {
    type: 'boolean',
    summary: 'json: add autoApply, what the guard would attach with these settings',
  },
  'allowed-accounts': {
    type: 'string',
    placeholder: 'ACCT[,ACCT]',
    default: '',
    summary: 'accounts auto-remediation may write in (context key allowedAccounts)',
  },
  'role-name-patterns': {
    type: 'string',
    placeholder: 'GLOB[,GLOB]',
    default: '',
    formerly: ['role-patterns'],
    summary: 'role names it may write (context key roleNamePatterns)',
  },
  'auto-remediate-resources': {
    type: 'string',
    placeholder: 'ARN-GLOB[,ARN-GLOB]',
    formerly: ['resource-patterns'],
    summary: 'resources a fix may name (context key autoRemediateResources)',
  },
  'grant-ttl-days': {
    type: 'string',
    placeholder: 'N',
    default: String(GRANT_DEFAULTS.ttlDays),
    summary: 'days the proposed statements stay valid, 0 no expiry (context key grantTtlDays)',
  },
} as const satisfies FlagSpecs;

export const PREFLIGHT_FLAGS = {
  job: {
    type: 'string',
    input: 'path',
    required: true,
    placeholder: 'FILE|-',
    summary:
      'a Create*Job request, a Describe*Job output, or the CloudTrail record or EventBridge event of one',
  },
  role: { type: 'string', placeholder: 'ARN', summary: 'check this execution role instead of the job’s' },
  region: { type: 'string', placeholder: 'REGION', summary: 'the region the job runs in' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
  'no-simulate': {
    type: 'boolean',
    summary: 'offline: print the permissions the job needs, without checking the role',
  },
} as const satisfies FlagSpecs;

export const RECENT_FLAGS = {
  days: { type: 'string', placeholder: 'N', default: '7', summary: 'how many days back, 1 to 365' },
  region: { type: 'string', placeholder: 'REGION', summary: 'the region to list (default: AWS_REGION)' },
  summary: { type: 'boolean', summary: 'counts by job type, outcome and fix location' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
} as const satisfies FlagSpecs;

export const DEMO_FLAGS = {
  format: { type: 'string', choices: OUTPUT_FORMATS, default: 'text', summary: 'how to print each one' },
} as const satisfies FlagSpecs;

export const SCORE_FLAGS = {
  corpus: {
    type: 'string',
    input: 'path',
    required: true,
    placeholder: 'FILE|-',
    summary: 'the labelled corpus, JSON Lines',
  },
  'show-misses': { type: 'boolean', summary: 'list each line the diagnosis got wrong' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
} as const satisfies FlagSpecs;

/** Where the `grants` commands read and write IAM: the standard chain, or this region's endpoint. */
const IAM_REGION_FLAG = {
  type: 'string',
  placeholder: 'REGION',
  summary: 'the region of the IAM endpoint (default: AWS_REGION)',
} as const satisfies FlagSpec;

export const GRANTS_FLAGS = {
  'role-name-patterns': {
    type: 'string',
    placeholder: 'GLOB[,GLOB]',
    default: '',
    formerly: ['role-patterns'],
    summary: 'only roles whose name matches, under any path (default: every role)',
  },
  'records-table': {
    type: 'string',
    placeholder: 'TABLE',
    summary: 'the stack’s grant-records table: adds unused, edited and removed (needs dynamodb:Scan on it)',
  },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
  region: IAM_REGION_FLAG,
} as const satisfies FlagSpecs;

export const GRANTS_REVOKE_FLAGS = {
  'role-name': { type: 'string', required: true, placeholder: 'ROLE', summary: 'the role, by name' },
  'policy-name': {
    type: 'string',
    required: true,
    placeholder: 'sagemaker-iam-remediator-…',
    summary: 'the inline policy to delete: only the service’s own',
  },
  region: IAM_REGION_FLAG,
} as const satisfies FlagSpecs;

export const SELFTEST_FLAGS = {
  stack: { type: 'string', required: true, placeholder: 'NAME', summary: 'the deployed stack’s name' },
  region: { type: 'string', placeholder: 'REGION', summary: 'its region (default: AWS_REGION)' },
} as const satisfies FlagSpecs;

export type DiagnoseFlags = FlagValues<typeof DIAGNOSE_FLAGS>;
/** `diagnose` with no flags given, for commands that run it. */
export const DIAGNOSE_DEFAULTS: DiagnoseFlags = defaultsOf(DIAGNOSE_FLAGS);
export type PreflightFlags = FlagValues<typeof PREFLIGHT_FLAGS>;
export type RecentFlags = FlagValues<typeof RECENT_FLAGS>;
export type DemoFlags = FlagValues<typeof DEMO_FLAGS>;
export type ScoreFlags = FlagValues<typeof SCORE_FLAGS>;
export type SelftestFlags = FlagValues<typeof SELFTEST_FLAGS>;
export type GrantsFlags = FlagValues<typeof GRANTS_FLAGS>;
export type GrantsRevokeFlags = FlagValues<typeof GRANTS_REVOKE_FLAGS>;
