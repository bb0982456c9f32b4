/**
 * Every Lambda function of the package is built one way, by `bundledFunction` (lib/bundling.ts):
 * split, silent, on one runtime. A function built any other way in lib/ would ship unsplit or print
 * bundling noise; this finds one in the source before any template does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Ways to make a Lambda function or its code in aws-cdk-lib, other than through lib/bundling.ts. */
const OTHER_WAYS =
  /\bNodejsFunction\b|\bnew\s+(?:lambda\.)?Function\s*\(|\bCode\.from\w+\s*\(|\bSingletonFunction\b/;

describe('the one way a function is built', () => {
  it('lib/ builds no Lambda function or code outside lib/bundling.ts', () => {
    // Prepare
    const sources = readdirSync(LIB).filter((file) => file.endsWith('.ts') && file !== 'bundling.ts');
    // Act
    const offenders = sources.filter((file) => OTHER_WAYS.test(readFileSync(join(LIB, file), 'utf8')));
    // Assess
    expect(sources.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});
