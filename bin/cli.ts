/**
 * `sagemaker-iam-remediator diagnose`, offline: diagnoses a failure text, a job state change event,
 * or a JSONL batch (`npm run diagnose -- ...` runs the same from source).
 *
 *   diagnose --reason "TEXT" [--format text|json|slack]
 *   diagnose --event FILE.json|- [--format ...]
 *   diagnose --jsonl FILE|-        one JSON line out per line in
 *
 * Exit codes: 0 done; 1 a batch finished with skipped lines; 2 unusable input (one line on stderr).
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import type { JobContext, OutputFormat } from '../lambdas/core/index.js';
import {
  actionsOf,
  analyse,
  failedJobFromInput,
  fixLocationOf,
  InvalidInputError,
  OUTPUT_FORMATS,
  render,
  renderJson,
} from '../lambdas/core/index.js';
import { expiresAtOf, GRANT_DEFAULTS } from '../lambdas/core/grants.js';
import { decideAutoApply } from '../lambdas/core/guard.js';
import { UsageError } from '../lambdas/core/errors.js';
import { readBounded, STDIN } from './io.js';

/** Longer than any FailureReason (1,024) or CloudTrail message; anything bigger is not a failure text. */
const MAX_REASON_LENGTH = 16_384;
/** Event files and JSONL lines larger than this are refused before parsing. */
const MAX_EVENT_BYTES = 1 << 20;
const MAX_BATCH_BYTES = 256 << 20;

const USAGE =
  'usage: diagnose (--reason TEXT | --event FILE|- | --jsonl FILE|-) [--format text|json|slack]\n' +
  '       [--auto-remediate --allowed-accounts ACCT[,ACCT] [--role-patterns GLOB[,GLOB]]\n' +
  '        [--resource-patterns ARN-GLOB[,ARN-GLOB]]]  (json: adds autoApply)\n' +
  '       [--grant-ttl-days N]  (days the proposed statements stay valid; 0 no expiry; default 30)';

function checkedReason(reason: string): string {
  if (reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError(
      `the failure reason is ${reason.length} characters; the limit is ${MAX_REASON_LENGTH}`,
    );
  }
  return reason;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The failure text and job of an event or Describe*Job document. */
function fromEvent(document: unknown, reasonOverride?: string): { reason: string; job: JobContext } {
  const job = failedJobFromInput(document);
  const reason = reasonOverride ?? job.failureReason;
  if (!reason) throw new InvalidInputError('the job has no FailureReason');
  return { reason: checkedReason(reason), job };
}

/** One batch line: `{id, failureReason, event?}` in, `{id, isPermission, actions, fixLocation, ...}` out. */
export function batchLine(line: string): Record<string, unknown> {
  const item = parseJson(line, 'the line');
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new InvalidInputError('the line is not a JSON object');
  const { id, failureReason, event } = item as Record<string, unknown>;
  if (typeof failureReason !== 'string' && event === undefined) {
    throw new InvalidInputError('the line has neither failureReason nor event');
  }
  const reason = typeof failureReason === 'string' ? checkedReason(failureReason) : undefined;
  let input: { reason: string; job?: JobContext };
  let eventError: string | null = null;
  try {
    input = event !== undefined ? fromEvent(event, reason) : { reason: reason ?? '' };
  } catch (error) {
    // An event we cannot use does not lose the line when its failure text is there: diagnose the text.
    if (!(error instanceof InvalidInputError) || reason === undefined) throw error;
    input = { reason };
    eventError = error.message;
  }
  const outcome = analyse(input.reason, input.job);
  return {
    id,
    ...(eventError ? { eventError } : {}),
    isPermission: outcome.kind === 'permission',
    actions: actionsOf(outcome.diagnosis),
    fixLocation: fixLocationOf(outcome.diagnosis) ?? null,
    certainty: outcome.kind === 'permission' ? outcome.proposal.certainty : null,
    rules:
      outcome.kind === 'permission'
        ? [...new Set(outcome.diagnosis.findings.map((f) => f.ruleId))]
        : [outcome.diagnosis.ruleId ?? null],
    category: outcome.kind === 'not-permission' ? outcome.diagnosis.category : null,
  };
}

function runBatch(path: string): number {
  const lines = readBounded(path, MAX_BATCH_BYTES).split('\n');
  let skipped = 0;
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    try {
      if (line.length > MAX_EVENT_BYTES)
        throw new InvalidInputError(`the line is ${line.length} characters long`);
      process.stdout.write(`${JSON.stringify(batchLine(line))}\n`);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      skipped += 1;
      process.stdout.write(`${JSON.stringify({ line: index + 1, error: error.message })}\n`);
      process.stderr.write(`diagnose: line ${index + 1}: ${error.message}\n`);
    }
  });
  if (skipped > 0) process.stderr.write(`diagnose: ${skipped} line(s) skipped\n`);
  return skipped > 0 ? 1 : 0;
}

/** The flags of `diagnose`: one row each. */
const OPTIONS = {
  reason: { type: 'string' },
  event: { type: 'string' },
  jsonl: { type: 'string' },
  format: { type: 'string', default: 'text' },
  'auto-remediate': { type: 'boolean', default: false },
  'allowed-accounts': { type: 'string', default: '' },
  'role-patterns': { type: 'string', default: '' },
  'resource-patterns': { type: 'string' },
  'grant-ttl-days': { type: 'string', default: String(GRANT_DEFAULTS.ttlDays) },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format))
    throw new UsageError(`unknown --format ${values.format}; use ${OUTPUT_FORMATS.join('|')}`);
  if (values.jsonl) return runBatch(values.jsonl);
  let input: { reason: string; job?: JobContext };
  if (values.event) {
    const source = values.event === STDIN ? 'standard input' : values.event;
    input = fromEvent(parseJson(readBounded(values.event, MAX_EVENT_BYTES), source), values.reason);
  } else if (values.reason !== undefined) {
    if (!values.reason.trim())
      throw new UsageError("--reason is empty: pass the job's FailureReason text, or --event FILE");
    input = { reason: checkedReason(values.reason) };
  } else {
    throw new UsageError(USAGE);
  }
  const ttlDays = Number(values['grant-ttl-days']);
  if (!Number.isInteger(ttlDays) || ttlDays < 0 || ttlDays > 3650)
    throw new UsageError('--grant-ttl-days takes a whole number of days from 0 (no expiry) to 3650');
  const outcome = analyse(input.reason, input.job, { expiresAt: expiresAtOf(new Date(), ttlDays) });
  if (format !== 'json' || outcome.kind !== 'permission') {
    process.stdout.write(`${render(outcome, format)}\n`);
    return 0;
  }
  // The guard the Lambda uses, offline: what auto-remediation would attach, and why not.
  const decision = decideAutoApply(outcome.diagnosis, input.job, {
    autoRemediate: values['auto-remediate'],
    allowedAccounts: commaList(values['allowed-accounts']),
    roleNamePatterns: commaList(values['role-patterns']),
    resourcePatterns:
      values['resource-patterns'] === undefined ? undefined : commaList(values['resource-patterns']),
  });
  const autoApply = {
    eligible: decision.eligible,
    refusals: decision.refusals,
    policy: decision.eligible ? (decision.policy ?? null) : null,
  };
  process.stdout.write(`${JSON.stringify({ ...(renderJson(outcome) as object), autoApply }, null, 2)}\n`);
  return 0;
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Runs `diagnose` and returns its exit code; errors become one line on stderr. */
export const run = (argv: readonly string[]): Promise<number> => exitCodeOf('diagnose', () => main(argv));

/**
 * Runs a command's body: a usage or input error is one line on stderr and exit 2, anything else
 * (a bug) one line and exit 70.
 */
export async function exitCodeOf(command: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
    const isUsage =
      error instanceof InvalidInputError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${command}: ${(error as Error).message}\n`);
    return isUsage ? 2 : 70;
  }
}
