import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
