/**
 * `preflight`: what a SageMaker job's execution role needs, from the job's configuration, and whether
 * the role has it, before the job is submitted.
 *
 *   npm run preflight -- --job FILE|- [--role ARN] [--region R] [--format text|json] [--no-simulate]
 *
 * Its flags and help are its row in bin/commands.ts. FILE (or standard input for `-`) is a CreateTrainingJob (or Processing, Transform, HyperParameterTuning) request as
 * `aws sagemaker create-training-job --cli-input-json` takes it, a CreateModel request (alone or as
 * `{"CreateModel": ..., "CreateEndpointConfig": ...}`), a Describe*Job output or the job state change
 * event that carries one, or the CloudTrail record (or its EventBridge event) of a successful Create
 * call. `--no-simulate` is offline: it prints the
 * required permissions only. Otherwise the role is checked with SimulatePrincipalPolicy and GetRole
 * (credentials and region from the standard AWS chain).
 *
 * Exit codes: 0 the job will pass (or, offline, the list was printed); 1 it will fail; 2 unusable
 * input; 3 the role could not be checked.
 */
import { InvalidInputError } from '../lambdas/core/errors.js';
import type { PreflightReport } from '../lambdas/core/preflight.js';
import type { PreflightFlags } from './command-flags.js';
import { readBounded, STDIN } from './io.js';
import {
  jobToCheck,
  offlineUnchecked,
  PREDICTIONS,
  renderPreflightText,
  requiredJson,
  requiredPermissions,
} from '../lambdas/core/preflight.js';

/** Job configurations are a few kilobytes; anything bigger is not one. */
const MAX_JOB_BYTES = 1 << 20;

const EXIT_CODES: Readonly<Record<PreflightReport['prediction'], number>> = {
  [PREDICTIONS.willPass]: 0,
  [PREDICTIONS.willFail]: 1,
  [PREDICTIONS.unverifiable]: 3,
};

function readJob(path: string): unknown {
  const text = readBounded(path, MAX_JOB_BYTES);
  try {
    return JSON.parse(text);
  } catch (error) {
    const source = path === STDIN ? 'standard input' : path;
    throw new InvalidInputError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

const requiredText = (required: ReturnType<typeof requiredPermissions>): string =>
  required
    .map(
      (r) =>
        `${r.action} on ${r.resource}${r.condition ? ` when ${JSON.stringify(r.condition)}` : ''}\n    because the job ${r.why}`,
    )
    .join('\n');

/** `preflight`, given its flags (parsed and checked by bin/flags.ts). */
export async function run(values: PreflightFlags): Promise<number> {
  const format = values.format;
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
