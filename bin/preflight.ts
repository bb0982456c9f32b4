#!/usr/bin/env node
/**
 * `preflight`: what a SageMaker job's execution role needs, from the job's configuration, and whether
 * the role has it, before the job is submitted.
 *
 *   npm run preflight -- --job FILE [--role ARN] [--region R] [--format text|json] [--no-simulate]
 *
 * FILE is a CreateTrainingJob (or Processing, Transform, HyperParameterTuning) request as
 * `aws sagemaker create-training-job --cli-input-json` takes it, a CreateModel request (alone or as
 * `{"CreateModel": ..., "CreateEndpointConfig": ...}`), a Describe*Job output, or the CloudTrail event
 * of a successful Create call. `--no-simulate` is offline: it prints the
 * required permissions only. Otherwise the role is checked with SimulatePrincipalPolicy and GetRole
 * (credentials and region from the standard AWS chain).
 *
 * Exit codes: 0 the job will pass (or, offline, the list was printed); 1 it will fail; 2 unusable
 * input; 3 the role could not be checked.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { InvalidInputError, UsageError } from '../lambdas/core/errors.js';
import type { PreflightReport } from '../lambdas/core/preflight.js';
import {
  jobToCheck,
  offlineUnchecked,
  PREDICTIONS,
  renderPreflightText,
  requiredJson,
  requiredPermissions,
} from '../lambdas/core/preflight.js';

const USAGE =
  'usage: preflight --job FILE [--role ARN] [--region R] [--format text|json] [--no-simulate]\n' +
  '       exit 0 will pass (or --no-simulate printed the list), 1 will fail, 2 bad input, 3 not checkable';

/** Job configurations are a few kilobytes; anything bigger is not one. */
const MAX_JOB_BYTES = 1 << 20;
const FORMATS = ['text', 'json'] as const;

const EXIT_CODES: Readonly<Record<PreflightReport['prediction'], number>> = {
  [PREDICTIONS.willPass]: 0,
  [PREDICTIONS.willFail]: 1,
  [PREDICTIONS.unverifiable]: 3,
};

function readJob(path: string): unknown {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_JOB_BYTES)
      throw new InvalidInputError(`${path} is ${size} bytes; the limit is ${MAX_JOB_BYTES}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const requiredText = (required: ReturnType<typeof requiredPermissions>): string =>
  required
    .map(
      (r) =>
        `${r.action} on ${r.resource}${r.condition ? ` when ${JSON.stringify(r.condition)}` : ''}\n    because the job ${r.why}`,
    )
    .join('\n');

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      job: { type: 'string' },
      role: { type: 'string' },
      region: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'no-simulate': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const format = values.format as (typeof FORMATS)[number];
  if (!FORMATS.includes(format))
    throw new UsageError(`unknown --format ${values.format}; use ${FORMATS.join('|')}`);
  if (!values.job) throw new UsageError(USAGE);
  const job = jobToCheck(readJob(values.job), { roleArn: values.role, region: values.region });
  if (values['no-simulate']) {
    const required = requiredPermissions(job);
    const unchecked = offlineUnchecked(job);
    process.stdout.write(
      `${
        format === 'json'
          ? JSON.stringify(requiredJson(required, unchecked), null, 2)
          : [requiredText(required), ...unchecked.map((line) => `Not checked: ${line}.`)].join('\n')
      }\n`,
    );
    return 0;
  }
  // The SDK's notice about future Node.js versions is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Loaded only here: the offline path never needs the SDK.
  const [{ IAMClient }, { ECRClient }, { S3Client }, { checkJob }] = await Promise.all([
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-ecr'),
    import('@aws-sdk/client-s3'),
    import('../lambdas/preflight/check.js'),
  ]);
  const region = values.region ?? job.region;
  const report = await checkJob(job, {
    iam: new IAMClient({ region, maxAttempts: 6 }),
    ecr: new ECRClient({ region, maxAttempts: 6 }),
    s3: new S3Client({ region, maxAttempts: 6 }),
  });
  if (format === 'json') {
    const { diagnosis: _diagnosis, required, ...verdict } = report;
    process.stdout.write(`${JSON.stringify({ ...verdict, ...requiredJson(required) }, null, 2)}\n`);
  } else {
    process.stdout.write(`${renderPreflightText(report)}\n`);
  }
  return EXIT_CODES[report.prediction];
}

/** Runs the command and returns its exit code; errors become one line on stderr. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
    const isUsage =
      error instanceof InvalidInputError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`preflight: ${(error as Error).message}\n`);
    return isUsage ? 2 : 70;
  }
}

/** Run directly (`npm run preflight`), not when a command with subcommands imports it. */
const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await run(process.argv.slice(2));
}
