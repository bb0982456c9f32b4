/**
 * Issue 17, hole 1, the class: no pattern the Lambdas read text with can backtrack super-linearly.
 * The lint checks the literal patterns statically (eslint-plugin-regexp); this runs recheck on every
 * pattern the modules export, the ones built at run time included (catalog rules and readers),
 * found by walking the modules (test/helpers/reader-patterns.ts).
 *
 * recheck's automaton checker decides a pattern exactly, bounded repetitions (`.{0,400}?` between
 * two phrases) included, but knows no look-around and may take long on large patterns; its fuzz
 * checker runs anything but reads a bounded gap's cost on short strings as polynomial. So each
 * pattern is decided by the automaton when it can answer within a second, else by the fuzzer (with
 * a fixed seed, so a run is repeatable). Either must say `safe`.
 */
import { check } from 'recheck';
import { describe, expect, it } from 'vitest';
import { lambdaPatterns } from '../helpers/reader-patterns.js';

/** How often the fuzzer must find a pattern vulnerable: its attacks run under wall-clock limits. */
const FUZZ_ATTEMPTS = 3;

async function verdictOf(pattern: RegExp): Promise<string> {
  const exact = await check(pattern.source, pattern.flags, { checker: 'automaton', timeout: 1_000 });
  if (exact.status !== 'unknown') return exact.status;
  let verdict = 'unknown';
  // On a busy machine an attack may time out and read as a success: a pattern is vulnerable only
  // when every attempt says so (one with a real attack does, each time, in about a second).
  for (let attempt = 0; attempt < FUZZ_ATTEMPTS; attempt++) {
    const fuzzed = await check(pattern.source, pattern.flags, {
      checker: 'fuzz',
      randomSeed: 17,
      timeout: 60_000,
    });
    if (fuzzed.status !== 'vulnerable') return fuzzed.status;
    verdict = `vulnerable: ${fuzzed.complexity.summary}, e.g. ${fuzzed.attack.pattern}`;
  }
  return verdict;
}

describe('recheck', () => {
  it('finds every pattern the Lambdas read text with safe', async () => {
    // Prepare
    const patterns = await lambdaPatterns();
    // Act
    const verdicts = new Map<string, string>();
    for (const [name, pattern] of patterns) verdicts.set(name, await verdictOf(pattern));
    // Assess
    expect(patterns.size).toBeGreaterThan(50);
    expect([...verdicts].filter(([, verdict]) => verdict !== 'safe')).toEqual([]);
  });

  it('finds the reader of issue 17 vulnerable, so a verdict of safe means something', async () => {
    // Prepare: the operation-name reader before the fix, as the issue quotes it.
    const exponential = /\b([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)['"]? (?:permissions?|action|API)\b/;
    // Act
    const verdict = await verdictOf(exponential);
    // Assess
    expect(verdict).toMatch(/^vulnerable/);
  });
});
