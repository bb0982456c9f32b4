/**
 * Every pattern the Lambdas read text with, found by walking what their modules export (the
 * catalog's rules and the readers' patterns), never from a hand list that a new rule or reader
 * would leave behind. Patterns built inside a function are banned by the lint (eslint.config.js), so
 * a module-level export is where every pattern built at run time lives.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LAMBDAS_DIR = fileURLToPath(new URL('../../lambdas/', import.meta.url));

/** Entry points read their configuration from the environment on import: their logic lives elsewhere. */
const isEntryPoint = (file: string): boolean => file.endsWith('/handler.ts');

const moduleFiles = (): string[] =>
  readdirSync(LAMBDAS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !isEntryPoint(`/${file}`))
    .sort();

/** Collects the RegExps inside a value: the value itself, or in its arrays and plain objects. */
function collect(value: unknown, found: Map<string, RegExp>, seen: Set<object>): void {
  if (value instanceof RegExp) {
    found.set(`/${value.source}/${value.flags}`, value);
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  for (const item of value instanceof Map || value instanceof Set ? value.values() : Object.values(value))
    collect(item, found, seen);
}

/** The distinct patterns exported by the Lambdas' modules, keyed by `/source/flags`. */
export async function lambdaPatterns(): Promise<ReadonlyMap<string, RegExp>> {
  const found = new Map<string, RegExp>();
  const seen = new Set<object>();
  for (const file of moduleFiles()) collect(await import(`${LAMBDAS_DIR}${file}`), found, seen);
  return found;
}
