/**
 * What a user sees from `cdk synth`: the CLI's own lines and nothing from this app. The app
 * (bin/app.ts, cdk-nag included) runs as the CDK CLI runs it: cdk.json's context, an output
 * directory, every stack bundled. The variant builds every function and the organization's bus policy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('synthesizing the app', () => {
  it('prints nothing: no bundling progress, no deprecation warning', () => {
    // Prepare: central mode with approvals in Slack and pre-flight: the remediator, approver, grant
    // cleanup and pre-flight functions.
    const { context } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: object };
    const variant = {
      organizationId: 'o-abc123def4',
      centralRegion: 'us-east-1',
      slackWorkspaceId: 'T0123456789',
      slackChannelId: 'C0123456789',
      allowedAccounts: '111122223333',
      preflight: 'true',
    };
    const outdir = mkdtempSync(join(tmpdir(), 'quiet-synth-'));
    // Act
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...context, ...variant }),
      },
      encoding: 'utf8',
    });
    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
    expect(readdirSync(outdir).filter((file) => file.startsWith('asset.'))).toHaveLength(4);
  }, 60_000);
});
