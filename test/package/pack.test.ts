import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InstalledApp } from '../support/pack.js';
import { installPackedInto } from '../support/pack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A user's CDK app: the construct from the package name, bundled by the package's own esbuild. */
const APP = `
import { App, Stack } from 'aws-cdk-lib';
import { SageMakerPermissionRemediator } from 'sagemaker-iam-remediator';
import { analyse } from 'sagemaker-iam-remediator/core';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
new SageMakerPermissionRemediator(stack, 'Remediator', { jobTypes: ['training', 'processing'], dashboard: true });
const template = app.synth().getStackByName('UserStack').template;
process.stdout.write(JSON.stringify({
  resourceTypes: Object.values(template.Resources).map((resource) => resource.Type),
  coreSaysPermission: analyse('ClientError: Data download failed:(AccessDenied: Access Denied)').kind,
}));
`;

describe('the package, installed from its tarball into a fresh CDK app', () => {
  let app: InstalledApp;
  beforeAll(() => {
    const { peerDependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    app = installPackedInto(ROOT, Object.keys(peerDependencies));
    writeFileSync(join(app.dir, 'app.mjs'), APP);
  }, 120_000);

  it('synthesizes the construct imported from the package name, with its Lambda bundled', () => {
    // Act
    const out = execFileSync(process.execPath, ['app.mjs'], { cwd: app.dir, encoding: 'utf8' });
    // Assess
    const { resourceTypes, coreSaysPermission } = JSON.parse(out) as {
      resourceTypes: string[];
      coreSaysPermission: string;
    };
    expect(resourceTypes).toEqual(
      expect.arrayContaining([
        'AWS::Lambda::Function',
        'AWS::Events::Rule',
        'AWS::SNS::Topic',
        'AWS::CloudWatch::Dashboard',
      ]),
    );
    // The training and processing failure rules, and the incident flush schedule.
    expect(resourceTypes.filter((type) => type === 'AWS::Events::Rule')).toHaveLength(3);
    expect(coreSaysPermission).toBe('permission');
    const assets = readFileSync(join(app.dir, 'cdk.out', 'UserStack.assets.json'), 'utf8');
    expect(assets).toMatch(/"packaging": "zip"/);
  }, 120_000);

  it('runs the installed command with npx, its JSON output pure', () => {
    // Act
    const result = spawnSync(
      'npx',
      [
        '--no',
        'sagemaker-iam-remediator',
        'diagnose',
        '--reason',
        'not authorized to perform: kms:Decrypt',
        '--format',
        'json',
      ],
      { cwd: app.dir, encoding: 'utf8' },
    );
    // Assess
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      isPermission: true,
      findings: [{ grants: [{ actions: ['kms:Decrypt'] }] }],
    });
  });

  it('reports the version written in package.json', () => {
    const out = execFileSync('npx', ['--no', '--', 'sagemaker-iam-remediator', '--version'], {
      cwd: app.dir,
      encoding: 'utf8',
    });
    expect(out).toBe(`${app.manifest.version}\n`);
  });
});

/** Bytes under `path`, symbolic links not followed (as `du` counts an installed tree). */
function sizeOf(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

describe('the command, installed from its tarball alone (as npm install -g does)', () => {
  let app: InstalledApp;
  const bin = () => join(app.dir, 'node_modules', '.bin', 'sagemaker-iam-remediator');
  const installed = (args: readonly string[], input = '') =>
    spawnSync(bin(), args, { cwd: app.dir, encoding: 'utf8', input });
  beforeAll(() => {
    app = installPackedInto(ROOT, []);
  }, 120_000);

  it('installs under 40 MB, without the CDK or esbuild, and without a warning', () => {
    // Assess
    expect(app.installOutput).toBe('');
    expect(sizeOf(join(app.dir, 'node_modules'))).toBeLessThan(40 * 1024 * 1024);
    const installedPackages = readdirSync(join(app.dir, 'node_modules'));
    for (const absent of ['aws-cdk-lib', 'constructs', 'esbuild'])
      expect(installedPackages).not.toContain(absent);
  });

  it('checks a shipped example job read from standard input', () => {
    // Prepare
    const job = readFileSync(
      join(app.dir, 'node_modules', app.manifest.name, 'examples', 'jobs', 'training-job.json'),
      'utf8',
    );
    // Act
    const result = installed(['preflight', '--job', '-', '--no-simulate', '--format', 'json'], job);
    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { required: unknown[] }).required.length).toBeGreaterThan(10);
  });

  it('diagnoses a failure text read from standard input, and runs the demo in JSON', () => {
    // Act
    const diagnosis = installed(
      ['diagnose', '--reason', '-', '--format', 'json'],
      'is not authorized to perform: kms:Decrypt',
    );
    const demo = installed(['demo', '--format', 'json']);
    // Assess
    expect(diagnosis.status).toBe(0);
    expect(JSON.parse(diagnosis.stdout)).toMatchObject({ isPermission: true });
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain('"isPermission": true');
  });

  it('says what to install when the constructs are imported without their peers', () => {
    // Act
    const result = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import('${app.manifest.name}')`],
      {
        cwd: app.dir,
        encoding: 'utf8',
      },
    );
    // Assess
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /npm install --save-dev .*'aws-cdk-lib@\^2[^']*' .*'constructs@[^']+' .*'esbuild@[^']+'/,
    );
  });
});
