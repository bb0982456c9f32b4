/**
 * What ships (the two Lambda bundles and the CLI) carries no GPL-family package: each bundle is built
 * the way it deploys, and every package it pulls in is checked by its declared license.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER, MAIN_FIELDS, UNUSED_CREDENTIAL_PROVIDERS } from '../../lib/bundling.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function packagesIn(entry: string, external: string[]): Promise<string[]> {
  const result = await build({
    entryPoints: [`${ROOT}${entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
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
    ['the remediator Lambda', 'lambdas/remediator/handler.ts', UNUSED_CREDENTIAL_PROVIDERS],
    ['the approver Lambda', 'lambdas/approver/handler.ts', UNUSED_CREDENTIAL_PROVIDERS],
    ['the CLI', 'bin/sagemaker-iam-remediator.ts', []],
  ])('%s has no GPL-family package', async (_name, entry, external) => {
    const packages = await packagesIn(entry, [...external]);
    expect(packages.length).toBeGreaterThan(0);
    const copyleft = packages.filter((name) => /GPL/i.test(licenseOf(name)));
    expect(copyleft).toEqual([]);
    expect(packages).not.toContain('@cloud-copilot/iam-simulate');
  });
});
