/**
 * What ships (each Lambda bundle and the CLI) carries no GPL-family package: each bundle is built
 * the way it deploys, and every package it pulls in is checked by its declared license.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, lambdaBuildOptions, MAIN_FIELDS } from '../../lib/bundling.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Lambda function's bundle, as the construct builds it (every chunk, not only what a cold start loads). */
const lambdaBundle = (entry: string) =>
  build({ ...lambdaBuildOptions(`${ROOT}${entry}`, tmpdir()), write: false });

/** The command's bundle (scripts/bundle-cli.ts). */
const cliBundle = (entry: string) =>
  build({
    entryPoints: [`${ROOT}${entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    write: false,
    metafile: true,
    logLevel: 'silent',
  });

async function packagesIn(bundle: Promise<{ metafile: { inputs: object } }>): Promise<string[]> {
  const result = await bundle;
  const names = Object.keys(result.metafile.inputs).flatMap((path) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(names)].sort();
}

const licenseOf = (name: string): string => {
  const manifest = JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as {
    license?: unknown;
  };
  return typeof manifest.license === 'string' ? manifest.license : JSON.stringify(manifest.license);
};

describe('licenses of what ships', () => {
  it.each([
    ['the remediator Lambda', () => lambdaBundle('lambdas/remediator/handler.ts')],
    ['the approver Lambda', () => lambdaBundle('lambdas/approver/handler.ts')],
    ['the grant cleanup Lambda', () => lambdaBundle('lambdas/cleanup/handler.ts')],
    ['the pre-flight Lambda', () => lambdaBundle('lambdas/preflight/handler.ts')],
    ['the CLI', () => cliBundle('bin/sagemaker-iam-remediator.ts')],
  ])('%s has no GPL-family package', async (_name, bundle) => {
    const packages = await packagesIn(bundle());
    expect(packages.length).toBeGreaterThan(0);
    const copyleft = packages.filter((name) => /GPL/i.test(licenseOf(name)));
    expect(copyleft).toEqual([]);
    expect(packages).not.toContain('@cloud-copilot/iam-simulate');
  });
});
