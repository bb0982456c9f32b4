import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JOBS_DIR = join(ROOT, 'examples/jobs');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function preflight(...args: string[]) {
  const result = spawnSync(TSX, ['bin/preflight.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
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
});
