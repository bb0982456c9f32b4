/**
 * `sagemaker-iam-remediator recent`: what failed before the service was installed. Lists the
 * account's failed training jobs (all pages), describes each, diagnoses it with the same core, and
 * prints a table that fits 100 columns, one proposal per job with `--format json`, or with
 * `--summary` the counts by job type, outcome and fix location. Credentials and region come from
 * the standard AWS chain.
 */
import {
  DescribeTrainingJobCommand,
  paginateListTrainingJobs,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { UsageError } from '../lambdas/core/errors.js';
import type { Outcome } from '../lambdas/core/index.js';
import {
  actionsOf,
  analyse,
  fixLocationOf,
  InvalidInputError,
  jobContextFromDescription,
  renderJson,
} from '../lambdas/core/index.js';
import { isEscalation } from '../lambdas/core/actions.js';
import type { RecentFlags } from './command-flags.js';

export interface RecentOptions {
  /** How far back to look. */
  readonly days: number;
  readonly format: RecentFormat;
  /** Counts by job type, outcome and fix location instead of one row per job. @default false */
  readonly summary?: boolean;
  /** Where the table or JSON goes. */
  readonly write: (text: string) => void;
  /** Progress, e.g. a bar on a terminal; called after each job. */
  readonly progress?: (done: number, total: number) => void;
  /** The clock, for tests. */
  readonly now?: Date;
}

/** Jobs described at once: enough to hide latency, few enough to stay under the API's rate. */
const DESCRIBE_CONCURRENCY = 4;

/** The formats `recent` prints. */
export type RecentFormat = RecentFlags['format'];

/** The width a terminal table must fit. */
export const TABLE_WIDTH = 100;
const GAP = '  ';

export interface Row {
  readonly jobType: string;
  readonly jobName: string;
  readonly failedAt: string;
  readonly outcome: Outcome;
}

/** SDK errors that mean "no usable credentials or region", said in one line. */
function explainSetupError(error: unknown): never {
  const { name, message } = error as Error;
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    throw new InvalidInputError(
      'no AWS credentials found: set AWS_PROFILE, environment variables or SSO as for the AWS CLI',
      { cause: error },
    );
  }
  if (/Region is missing/i.test(message)) {
    throw new InvalidInputError('no AWS region: pass --region or set AWS_REGION', { cause: error });
  }
  throw error;
}

async function failedJobNames(client: SageMakerClient, since: Date): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListTrainingJobs(
    { client, pageSize: 100 },
    { StatusEquals: 'Failed', CreationTimeAfter: since, SortBy: 'CreationTime', SortOrder: 'Descending' },
  )) {
    for (const summary of page.TrainingJobSummaries ?? [])
      if (summary.TrainingJobName) names.push(summary.TrainingJobName);
  }
  return names;
}

/** Times arrive as Dates from the SDK, and as epoch-millisecond strings in AWS's sample events. */
function isoTime(value: Date | string | number | undefined): string {
  if (value === undefined) return '';
  const time = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
}

async function diagnoseJob(client: SageMakerClient, name: string, region: string | undefined): Promise<Row> {
  const description = await client.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
  const { context } = jobContextFromDescription(description, { region });
  const failedAt = description.TrainingEndTime ?? description.LastModifiedTime ?? description.CreationTime;
  return {
    jobType: context.jobType,
    jobName: name,
    failedAt: isoTime(failedAt),
    outcome: analyse(description.FailureReason ?? '', context),
  };
}

/**
 * What became of a failure, in words that set apart what a reader handles differently: a policy to
 * attach, a block an Allow cannot lift (it names where it lives), a request withheld because it would
 * widen the role's own power, or a failure that is not about permissions.
 */
export function outcomeOf(outcome: Outcome): string {
  if (outcome.kind === 'not-permission') return outcome.diagnosis.category;
  const { proposal } = outcome;
  const untrusted = proposal.untrustedText ? ', untrusted text' : '';
  if (proposal.policy) return `permission (${proposal.certainty}${untrusted})`;
  if (actionsOf(outcome.diagnosis).some(isEscalation)) return `WITHHELD for review${untrusted}`;
  return `BLOCKED by ${proposal.fixLocation}`;
}

/** Cuts a cell to `width` characters, marking the cut with an ellipsis. */
export const truncate = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

/**
 * Columns as wide as their widest cell, then the widest of the `shrinkable` columns narrowed one
 * character at a time (never below its title) until a row fits `TABLE_WIDTH`.
 */
export function table(
  header: readonly string[],
  cells: readonly (readonly string[])[],
  shrinkable: readonly number[] = header.map((_, column) => column),
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  );
  const total = () => widths.reduce((sum, width) => sum + width, 0) + GAP.length * (widths.length - 1);
  while (total() > TABLE_WIDTH) {
    const widest = shrinkable
      .map((column) => ({ width: widths[column] ?? 0, column }))
      .filter(({ width, column }) => width > (header[column] ?? '').length)
      .sort((a, b) => b.width - a.width)[0];
    if (!widest) break;
    widths[widest.column] = widest.width - 1;
  }
  return [header, ...cells]
    .map((cell) =>
      cell
        .map((text, column) => truncate(text, widths[column] ?? 0).padEnd(widths[column] ?? 0))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** One row per job; the outcome names where a block lives, the JSON has every detail. */
const jobTable = (rows: readonly Row[]): string =>
  table(
    ['JOB', 'FAILED AT', 'OUTCOME', 'ACTIONS'],
    rows.map((row) => [
      row.jobName,
      // Minutes are enough to find a job; the full time is in --format json.
      row.failedAt.replace('T', ' ').slice(0, 16),
      outcomeOf(row.outcome),
      actionsOf(row.outcome.diagnosis).join(' ') || '-',
    ]),
    // The time is never cut.
    [0, 2, 3],
  );

/** The breakdowns of `--summary`, each a count per value, largest first. */
const BREAKDOWNS = {
  jobType: { title: 'JOB TYPE', of: (row: Row) => row.jobType },
  outcome: { title: 'OUTCOME', of: (row: Row) => outcomeOf(row.outcome) },
  fixLocation: { title: 'FIX LOCATION', of: (row: Row) => fixLocationOf(row.outcome.diagnosis) ?? '-' },
} as const;

export type Summary = { readonly days: number; readonly failedJobs: number } & {
  readonly [K in keyof typeof BREAKDOWNS]: Readonly<Record<string, number>>;
};

/** Counts of `rows` by job type, outcome and fix location. */
export function summaryOf(rows: readonly Row[], days: number): Summary {
  const count = (of: (row: Row) => string) => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(of(row), (counts.get(of(row)) ?? 0) + 1);
    return Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
  };
  return {
    days,
    failedJobs: rows.length,
    jobType: count(BREAKDOWNS.jobType.of),
    outcome: count(BREAKDOWNS.outcome.of),
    fixLocation: count(BREAKDOWNS.fixLocation.of),
  };
}

const summaryText = (summary: Summary): string =>
  [
    `${summary.failedJobs} failed job(s) in the last ${summary.days} day(s)`,
    ...(Object.keys(BREAKDOWNS) as (keyof typeof BREAKDOWNS)[]).map((key) =>
      table(
        [BREAKDOWNS[key].title, 'JOBS'],
        Object.entries(summary[key]).map(([value, jobs]) => [value, String(jobs)]),
      ),
    ),
  ].join('\n\n');

/** Lists, describes and diagnoses; returns the exit code. */
export async function diagnoseRecent(client: SageMakerClient, options: RecentOptions): Promise<number> {
  const since = new Date((options.now ?? new Date()).getTime() - options.days * 24 * 60 * 60 * 1000);
  const region = await client.config.region().catch(explainSetupError);
  const names = await failedJobNames(client, since).catch(explainSetupError);
  const rows: Row[] = [];
  for (let start = 0; start < names.length; start += DESCRIBE_CONCURRENCY) {
    const batch = names.slice(start, start + DESCRIBE_CONCURRENCY);
    rows.push(...(await Promise.all(batch.map((name) => diagnoseJob(client, name, region)))));
    options.progress?.(rows.length, names.length);
  }
  if (options.summary) {
    const summary = summaryOf(rows, options.days);
    options.write(
      options.format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : `${summaryText(summary)}\n`,
    );
  } else if (options.format === 'json') {
    options.write(
      `${JSON.stringify(
        rows.map((row) => ({
          jobName: row.jobName,
          failedAt: row.failedAt,
          ...(renderJson(row.outcome) as object),
        })),
        null,
        2,
      )}\n`,
    );
  } else {
    const permission = rows.filter((row) => row.outcome.kind === 'permission').length;
    options.write(
      `${jobTable(rows)}\n\n${rows.length} failed training job(s) in the last ${options.days} day(s); ${permission} permission problem(s).\n`,
    );
  }
  return 0;
}

/** A one-line progress bar for a terminal. */
export function terminalProgress(stream: NodeJS.WriteStream): RecentOptions['progress'] {
  if (!stream.isTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`,
    );
  };
}

/** `recent`, given its flags (parsed and checked by bin/flags.ts). */
export async function run(values: RecentFlags): Promise<number> {
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 365)
    throw new UsageError('--days takes a whole number from 1 to 365');
  // The SDK's notice about future Node.js versions is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return diagnoseRecent(new SageMakerClient({ region: values.region, maxAttempts: 6 }), {
    days,
    format: values.format,
    summary: values.summary,
    write: (text) => process.stdout.write(text),
    progress: terminalProgress(process.stderr),
  });
}
