/**
 * Bundles the command into dist/bin after `tsc` (part of `npm run build`): one small entry file, the
 * code only some subcommands need (the AWS SDK of `recent` and `preflight`) split into chunks loaded
 * when called. The installed command then needs no runtime dependency, so installing it pulls
 * neither the Lambda functions' packages nor the CDK.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, MAIN_FIELDS } from '../lib/bundling.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = `${ROOT}dist/bin`;

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [`${ROOT}bin/sagemaker-iam-remediator.ts`],
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  mainFields: MAIN_FIELDS,
  banner: { js: ESM_REQUIRE_BANNER },
  logLevel: 'warning',
});
