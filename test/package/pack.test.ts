import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
    app = installPackedInto(ROOT, ['aws-cdk-lib', 'constructs']);
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
