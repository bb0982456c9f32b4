/**
 * `sagemaker-iam-remediator diagnose`, offline: diagnoses a failure text, a job state change event,
 * or a JSONL batch (`npm run diagnose -- ...` runs the same from source). Its flags and help are its
 * row in bin/commands.ts.
 *
 * Exit codes: 0 done; 1 a batch finished with skipped lines; 2 unusable input (one line on stderr).
 */
import type { JobContext } from '../lambdas/core/index.js';
import {
  actionsOf,
  analyse,
  failedJobFromInput,
  fixLocationOf,
  InvalidInputError,
  render,
  renderJson,
} from '../lambdas/core/index.js';
import { checkedTtlDays, expiresAtOf } from '../lambdas/core/grants.js';
import { UsageError } from '../lambdas/core/errors.js';
import { decideAutoApply } from '../lambdas/core/guard.js';
import type { DiagnoseFlags } from './command-flags.js';
import { MAX_REASON_LENGTH } from './command-flags.js';
import { readBounded, STDIN } from './io.js';

/** Event files and JSONL lines larger than this are refused before parsing. */
const MAX_EVENT_BYTES = 1 << 20;
const MAX_BATCH_BYTES = 256 << 20;

function checkedReason(reason: string): string {
  if (reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError(
      `the failure reason is ${reason.length} characters; the limit is ${MAX_REASON_LENGTH}`,
    );
  }
  return reason;
}

function parseJson(text: string, what: string, hint = ''): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${what} is not valid JSON (${(error as Error).message})${hint}`);
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

/** `diagnose`, given its flags (parsed and checked by bin/flags.ts). */
export async function run(values: DiagnoseFlags): Promise<number> {
  if (values.jsonl !== undefined) return runBatch(values.jsonl);
  let input: { reason: string; job?: JobContext };
  if (values.event !== undefined) {
    const source = values.event === STDIN ? 'standard input' : values.event;
    input = fromEvent(
      parseJson(
        readBounded(values.event, MAX_EVENT_BYTES),
        source,
        '; --event takes a job state change event or a Describe*Job output, --reason - a failure text',
      ),
    );
  } else {
    const reason = values.reason ?? '';
    if (!reason.trim())
      throw new InvalidInputError("--reason is empty: pass the job's FailureReason text, or --event FILE");
    input = { reason: checkedReason(reason) };
  }
  const outcome = analyse(input.reason, input.job, {
    expiresAt: expiresAtOf(new Date(), ttlDaysOf(values['grant-ttl-days'])),
  });
  if (values.format !== 'json' || outcome.kind !== 'permission') {
    process.stdout.write(`${render(outcome, values.format)}\n`);
    return 0;
  }
  // The guard the Lambda uses, offline: what auto-remediation would attach, and why not.
  const decision = decideAutoApply(outcome.diagnosis, input.job, {
    autoRemediate: values['auto-remediate'],
    allowedAccounts: commaList(values['allowed-accounts']),
    roleNamePatterns: commaList(values['role-name-patterns']),
    resourcePatterns:
      values['auto-remediate-resources'] === undefined
        ? undefined
        : commaList(values['auto-remediate-resources']),
  });
  const autoApply = {
    eligible: decision.eligible,
    refusals: decision.refusals,
    policy: decision.eligible ? (decision.policy ?? null) : null,
  };
  process.stdout.write(`${JSON.stringify({ ...(renderJson(outcome) as object), autoApply }, null, 2)}\n`);
  return 0;
}

/** `--grant-ttl-days`: digits only, so an empty value never reads as 0 (no expiry, which must be explicit). */
function ttlDaysOf(value: string): number {
  const usage = '--grant-ttl-days takes a whole number of days from 0 (no expiry) to 3650';
  if (!/^\d{1,4}$/.test(value)) throw new UsageError(usage);
  try {
    return checkedTtlDays(Number(value));
  } catch {
    throw new UsageError(usage);
  }
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
