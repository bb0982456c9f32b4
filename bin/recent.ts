/**
 * `diagnose --recent`: what failed before the service was installed. Lists the account's failed
 * training jobs (all pages), describes each, diagnoses it with the same core, and prints a summary
 * table, or one proposal per job with `--format json`. Credentials and region come from the
 * standard AWS chain.
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DescribeTrainingJobCommand, paginateListTrainingJobs } from '@aws-sdk/client-sagemaker';
import type { Outcome } from '../lambdas/core/index.js';
import {
  actionsOf,
  analyse,
  fixLocationOf,
  InvalidInputError,
  jobContextFromDescription,
  renderJson,
} from '../lambdas/core/index.js';

export interface RecentOptions {
  /** How far back to look. */
  readonly days: number;
  readonly format: 'text' | 'json';
  /** Where the table or JSON goes. */
  readonly write: (text: string) => void;
  /** Progress, e.g. a bar on a terminal; called after each job. */
  readonly progress?: (done: number, total: number) => void;
  /** The clock, for tests. */
  readonly now?: Date;
}

/** Jobs described at once: enough to hide latency, few enough to stay under the API's rate. */
const DESCRIBE_CONCURRENCY = 4;

interface Row {
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
    jobName: name,
    failedAt: isoTime(failedAt),
    outcome: analyse(description.FailureReason ?? '', context),
  };
}

const CATEGORY = (outcome: Outcome): string =>
  outcome.kind === 'permission' ? `permission (${outcome.proposal.certainty})` : outcome.diagnosis.category;

function table(rows: readonly Row[]): string {
  const header = ['JOB', 'FAILED AT', 'CATEGORY', 'ACTIONS', 'FIX LOCATION'];
  const cells = rows.map((row) => [
    row.jobName,
    row.failedAt,
    CATEGORY(row.outcome),
    actionsOf(row.outcome.diagnosis).join(' ') || '-',
    fixLocationOf(row.outcome.diagnosis) ?? '-',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  );
  return [header, ...cells]
    .map((cell) =>
      cell
        .map((text, column) => text.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

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
  if (options.format === 'json') {
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
      `${table(rows)}\n\n${rows.length} failed training job(s) in the last ${options.days} day(s); ${permission} permission problem(s).\n`,
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
