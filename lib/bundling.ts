import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DISABLE_ASSET_STAGING_CONTEXT } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import type * as Esbuild from 'esbuild';

/**
 * The source of a Lambda entry point under lambdas/, e.g. `remediator/handler`: the TypeScript file
 * in the repository, the compiled JavaScript beside this file when the package is installed from dist/.
 */
export function lambdaEntry(path: string): string {
  const source = fileURLToPath(new URL(`../lambdas/${path}.ts`, import.meta.url));
  return existsSync(source) ? source : fileURLToPath(new URL(`../lambdas/${path}.js`, import.meta.url));
}

/**
 * esbuild settings of the Lambda bundle, shared by the construct and the benchmark so that what is
 * measured is what is deployed.
 */

/** ESM entry points of the SDK: about half the size and cold start of the CommonJS resolution. */
export const MAIN_FIELDS = ['module', 'main'];

/** Some bundled CommonJS dependencies call require(); ESM output needs it defined. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/**
 * Credential providers the default chain loads lazily and only when no environment credentials exist.
 * Lambda always sets them, so these stay out of the bundle (the runtime's SDK would serve them).
 * Everything else, the pinned SDK included, is bundled.
 */
export const UNUSED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
];

/** The runtime every function runs on, and the language level its bundle is built for. */
const RUNTIME = lambda.Runtime.NODEJS_24_X;
const TARGET = 'node24';

/** Stack traces name the source's files and lines (the maps carry no source text). */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** The file of the bundle Lambda loads, and its export. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';
const HANDLER = 'index.handler';

/**
 * How a Lambda entry is bundled into `outdir`: minified ESM, split, so that each dynamic import of
 * the code (what only some paths need: see lambdas/remediator/lazy.ts) is a chunk of its own that
 * loads when first imported, and a cold start loads only `index.mjs` and its static imports.
 */
export function lambdaBuildOptions(entry: string, outdir: string) {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    target: TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external: UNUSED_CREDENTIAL_PROVIDERS,
    metafile: true,
    logLevel: 'warning',
  } as const satisfies Esbuild.BuildOptions;
}

/**
 * esbuild, an optional peer dependency: the construct's entry point (lib/index.ts) checks that it is
 * installed before any construct is built. Loaded here, not imported, so that the package's other
 * modules load without it.
 */
const esbuild = (): typeof Esbuild => createRequire(import.meta.url)('esbuild') as typeof Esbuild;

/** What a bundled function takes: a Lambda function's properties, with the entry instead of code. */
export type BundledFunctionProps = Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime'> & {
  /** The source of the entry point (see {@link lambdaEntry}). */
  readonly entry: string;
};

/**
 * The one way this package builds a Lambda function: the entry bundled by {@link lambdaBuildOptions}
 * at synth time, as an asset directory. It is built here rather than by NodejsFunction (which writes
 * one file, never split) or CDK asset bundling (which prints a line per asset): synthesizing prints
 * nothing.
 * Stacks whose bundling is skipped (`aws:cdk:bundling-stacks`, as the CDK CLI does for stacks it is
 * not deploying) get the entry's source directory as a stand-in asset, never deployed.
 */
export function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps): lambda.Function {
  const { entry, ...functionProps } = props;
  const outdir = Stack.of(scope).bundlingRequired
    ? mkdtempSync(join(Stage.of(scope)?.assetOutdir ?? tmpdir(), 'bundling-'))
    : undefined;
  if (outdir) esbuild().buildSync(lambdaBuildOptions(entry, outdir));
  const fn = new lambda.Function(scope, id, {
    ...functionProps,
    runtime: RUNTIME,
    handler: HANDLER,
    environment: { ...functionProps.environment, NODE_OPTIONS: LAMBDA_NODE_OPTIONS },
    code: lambda.Code.fromAsset(outdir ?? dirname(entry)),
  });
  // The asset is staged (copied into the cloud assembly) by now; unless staging is off, the template
  // names the staged copy, not this directory.
  if (outdir && !scope.node.tryGetContext(DISABLE_ASSET_STAGING_CONTEXT)) rmSync(outdir, { recursive: true });
  return fn;
}
