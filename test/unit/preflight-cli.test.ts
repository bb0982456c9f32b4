import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENTS_DIR, submittedTrainingJob } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JOBS_DIR = join(ROOT, 'examples/jobs');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function preflight(...args: string[]) {
  return preflightWithInput('', ...args);
}

/** `preflight` from source, `input` on its standard input. */
function preflightWithInput(input: string, ...args: string[]) {
  const result = spawnSync(TSX, ['bin/sagemaker-iam-remediator.ts', 'preflight', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The parts of an ARN that name something: what is left once the partition, service, region,
 * account, resource-type words and SageMaker's own names (its log groups, the interfaces it creates)
 * are taken away. Each must come from the job's configuration.
 */
const NOT_NAMES =
  /^(?:arn|aws|s3|ecr|kms|ec2|logs|iam|us-east-1|\d{12}|\*|repository|key|subnet|security-group|network-interface|log-group|log-stream|role|sagemaker|TrainingJobs|ProcessingJobs|TransformJobs|Endpoints)$/;
const namesIn = (resource: string): string[] =>
  resource.split(/[:/]/).filter((part) => part !== '' && !NOT_NAMES.test(part));

interface Printed {
  required: { action: string; resource: string; condition?: unknown; why: string }[];
}

/** A CreateTransformJob request names no role and no region: the job runs as its model's role. */
const ARGS_OF: Readonly<Record<string, readonly string[]>> = {
  'transform-job.json': [
    '--role',
    'arn:aws:iam::111122223333:role/SageMakerExecRole',
    '--region',
    'us-east-1',
  ],
};

describe('preflight CLI', () => {
  it.each(readdirSync(JOBS_DIR).filter((name) => name.endsWith('.json')))(
    '--no-simulate --format json on %s prints only what its configuration names',
    (name) => {
      // Act
      const { code, stdout } = preflight(
        '--job',
        join(JOBS_DIR, name),
        ...(ARGS_OF[name] ?? []),
        '--no-simulate',
        '--format',
        'json',
      );
      // Assess
      expect(code).toBe(0);
      const printed = JSON.parse(stdout) as Printed;
      const configuration = readFileSync(join(JOBS_DIR, name), 'utf8');
      const role = ARGS_OF[name]?.[1] ?? '';
      expect(printed.required.length).toBeGreaterThan(15);
      for (const { resource, why } of printed.required) {
        if (resource === role) continue;
        for (const part of namesIn(resource)) expect(configuration, `${part} of ${resource}`).toContain(part);
        expect(why).not.toBe('');
      }
      // `*` only for the actions IAM cannot scope to a resource.
      const unscoped = printed.required.filter((r) => r.resource === '*').map((r) => r.action);
      expect(unscoped).toContain('cloudwatch:PutMetricData');
      for (const action of unscoped)
        expect([
          'cloudwatch:PutMetricData',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'ecr:GetAuthorizationToken',
        ]).toContain(action);
    },
  );

  it('--role replaces the role; the account of every ARN follows it', () => {
    const { code, stdout } = preflight(
      '--job',
      join(JOBS_DIR, 'training-job.json'),
      '--role',
      'arn:aws:iam::444455556666:role/OtherRole',
      '--no-simulate',
      '--format',
      'json',
    );
    expect(code).toBe(0);
    const { required } = JSON.parse(stdout) as Printed;
    expect(required.at(-1)).toMatchObject({
      action: 'sts:AssumeRole',
      resource: 'arn:aws:iam::444455556666:role/OtherRole',
    });
    expect(required.find((r) => r.action === 'logs:PutLogEvents')?.resource).toContain(':444455556666:');
  });

  it('bad input exits 2 with one line on stderr', () => {
    expect(preflight('--job', 'missing.json', '--no-simulate')).toMatchObject({
      code: 2,
      stderr: 'preflight: cannot read missing.json: ENOENT\n',
    });
    expect(preflight('--no-simulate').code).toBe(2);
    expect(preflight('--job', join(JOBS_DIR, 'training-job.json'), '--format', 'xml').stderr).toContain(
      'unknown --format xml',
    );
  });

  it('a directory is refused in one line that says what to pass', () => {
    // Act
    const { code, stderr } = preflight('--job', JOBS_DIR, '--no-simulate');
    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`preflight: ${JOBS_DIR} is a directory; pass a file, or - for standard input\n`);
  });
});

describe('preflight takes the job in every shape it comes in, from a file or standard input', () => {
  // Prepare
  const event = submittedTrainingJob(
    'shapes-job',
    'arn:aws:iam::111122223333:role/ShapesRole',
    '111122223333',
  ) as {
    detail: unknown;
  };
  const shapes: Readonly<Record<string, unknown>> = {
    'the EventBridge event of the CloudTrail record': event,
    'the CloudTrail record': event.detail,
    'a CloudTrail log file of that one record': { Records: [event.detail] },
  };
  const dir = mkdtempSync(join(tmpdir(), 'preflight-shapes-'));
  const requiredOf = (stdout: string) =>
    (JSON.parse(stdout) as Printed).required.map(({ action, resource }) => `${action} ${resource}`);
  const [expected] = Object.values(shapes).map((shape) => {
    writeFileSync(join(dir, 'first.json'), JSON.stringify(shape));
    return requiredOf(
      preflight('--job', join(dir, 'first.json'), '--no-simulate', '--format', 'json').stdout,
    );
  });

  it.each(Object.entries(shapes))('%s, from standard input, gives what the request needs', (_name, shape) => {
    // Act
    const { code, stdout } = preflightWithInput(
      JSON.stringify(shape),
      '--job',
      '-',
      '--no-simulate',
      '--format',
      'json',
    );
    // Assess
    expect(code).toBe(0);
    expect(requiredOf(stdout)).toEqual(expected);
    expect(expected?.length).toBeGreaterThan(10);
  });

  it('the state change event of a job (its Describe*Job output) from a file', () => {
    // Act
    const { code, stdout } = preflight(
      '--job',
      join(EVENTS_DIR, 'training-s3-input-access-denied.json'),
      '--no-simulate',
      '--format',
      'json',
    );
    // Assess
    expect(code).toBe(0);
    expect(requiredOf(stdout).some((line) => line.startsWith('s3:GetObject arn:aws:s3:::'))).toBe(true);
  });

  it('a CloudTrail log of several records is refused in one line', () => {
    // Act
    const { code, stderr } = preflightWithInput(
      JSON.stringify({ Records: [event.detail, event.detail] }),
      '--job',
      '-',
      '--no-simulate',
    );
    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/^preflight: the CloudTrail log holds 2 records; [^\n]+\n$/);
  });
});
