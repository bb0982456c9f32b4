/**
 * The one flag parser of every subcommand: a subcommand declares its flags (with their help) as data,
 * and gets back its values, or a one-line usage error. What it enforces for all of them alike:
 * unknown, repeated and conflicting flags are errors; `-` reads standard input wherever a file or a
 * text is expected; a value outside a flag's choices is an error; an old flag name still works for
 * one release and says its new name on stderr.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../lambdas/core/errors.js';
import { readBounded, STDIN } from './io.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One line for `--help`. */
  readonly summary: string;
  /** The value's placeholder in `--help`, e.g. `FILE|-`. */
  readonly placeholder?: string;
  /**
   * `text`: the value is the input itself, or `-` for standard input (read here, up to `limit`
   * bytes). `path`: a file the command reads, or `-` for standard input (read by the command).
   */
  readonly input?: 'text' | 'path';
  /** Bytes read from standard input for a `text` flag. @default 1 MiB */
  readonly limit?: number;
  /** The values it takes, when they are a fixed set. */
  readonly choices?: readonly string[];
  readonly default?: string | boolean;
  /** The command cannot run without it. @default false */
  readonly required?: boolean;
  /** Names this flag had before; accepted for one release. */
  readonly formerly?: readonly string[];
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly choices: readonly (infer C)[]; readonly default: string }
    ? C
    : S extends { readonly default: string } | { readonly required: true }
      ? string
      : string | undefined;

/** What a command's `run` receives: one value per declared flag. */
export type FlagValues<F extends FlagSpecs> = { readonly [K in keyof F]: ValueOf<F[K]> };

export interface CommandSpec<F extends FlagSpecs = FlagSpecs> {
  /** One line for the command list. */
  readonly summary: string;
  readonly flags: F;
  /** Sets of flags that are alternatives: giving two of one set is a usage error. */
  readonly alternatives?: readonly (readonly (keyof F & string)[])[];
  /** Flags of which one must be given (a set of alternatives, usually). */
  readonly requiresOneOf?: readonly (keyof F & string)[];
  /** Lines after the flags in `--help`: exit codes, examples. */
  readonly notes?: readonly string[];
}

const DEFAULT_TEXT_LIMIT = 1 << 20;

const flagUsage = (name: string, spec: FlagSpec): string =>
  spec.type === 'boolean'
    ? `--${name}`
    : `--${name} ${spec.choices ? spec.choices.join('|') : (spec.placeholder ?? 'VALUE')}`;

/** The `--help` of a command, written from its flags. */
export function helpOf(command: string, spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const extras = [
      ...(typeof flag.default === 'string' && flag.default !== '' ? [`default ${flag.default}`] : []),
      ...(flag.formerly ?? []).map((old) => `formerly --${old}`),
    ];
    return `  ${flagUsage(name, flag).padEnd(34)} ${flag.summary}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}`;
  });
  const alternatives = (spec.alternatives ?? []).map(
    (set) => `  ${set.map((name) => `--${name}`).join(', ')}: give one of them`,
  );
  return [
    `usage: ${command} [flags]    ${spec.summary}`,
    '',
    ...rows,
    '  --help, -h                         this text',
    ...(alternatives.length > 0 ? ['', ...alternatives] : []),
    ...(spec.notes && spec.notes.length > 0 ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** `--help` was asked for: the caller prints the help, exit 0. */
export const HELP = Symbol('help');

/**
 * The values of `argv` for a command, or {@link HELP}; a UsageError (one line) for an unknown,
 * repeated or conflicting flag, a value outside its choices, or two flags both reading standard input.
 */
export function parseFlags<F extends FlagSpecs>(
  spec: CommandSpec<F>,
  argv: readonly string[],
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): FlagValues<F> | typeof HELP {
  const canonical = new Map<string, string>();
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, flag] of Object.entries(spec.flags)) {
    for (const alias of [name, ...(flag.formerly ?? [])]) {
      canonical.set(alias, name);
      options[alias] = { type: flag.type };
    }
  }
  const { tokens } = parseArgs({
    args: argv.map((arg) => (arg === '-h' ? '--help' : arg)),
    options,
    strict: true,
    allowPositionals: false,
    tokens: true,
  });
  const given = new Map<string, string | boolean>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'help') return HELP;
    const name = canonical.get(token.name) as string;
    if (token.name !== name) warn(`--${token.name} is now --${name}; the old name goes in the next release`);
    if (given.has(name)) throw new UsageError(`--${name} is given twice; give it once`);
    given.set(name, token.value ?? true);
  }
  for (const set of spec.alternatives ?? []) {
    const present = set.filter((name) => given.has(name));
    if (present.length > 1)
      throw new UsageError(`${present.map((name) => `--${name}`).join(' and ')} are alternatives; give one`);
  }
  const stdinReaders = [...given].filter(([name, value]) => value === STDIN && spec.flags[name]?.input);
  if (stdinReaders.length > 1)
    throw new UsageError(
      `${stdinReaders.map(([name]) => `--${name}`).join(' and ')} both read standard input; only one can`,
    );
  for (const [name, flag] of Object.entries(spec.flags))
    if (flag.required && !given.has(name)) throw new UsageError(`--${name} is required (--help for more)`);
  if (spec.requiresOneOf && !spec.requiresOneOf.some((name) => given.has(name)))
    throw new UsageError(
      `give ${spec.requiresOneOf.map((name) => `--${name}`).join(' or ')} (--help for more)`,
    );
  return valuesOf(spec.flags, given);
}

/** Each flag's value: given, else its default; `-` of a text flag replaced by standard input. */
function valuesOf<F extends FlagSpecs>(
  flags: F,
  given: ReadonlyMap<string, string | boolean>,
): FlagValues<F> {
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, flag] of Object.entries(flags)) {
    const value = given.get(name) ?? flag.default ?? (flag.type === 'boolean' ? false : undefined);
    if (typeof value === 'string' && flag.choices && !flag.choices.includes(value))
      throw new UsageError(`unknown --${name} ${value}; use ${flag.choices.join('|')}`);
    values[name] =
      flag.input === 'text' && value === STDIN && given.has(name)
        ? readBounded(STDIN, flag.limit ?? DEFAULT_TEXT_LIMIT)
        : value;
  }
  return values as FlagValues<F>;
}

/** The values of a command given no flags: each flag's default. */
export const defaultsOf = <F extends FlagSpecs>(flags: F): FlagValues<F> => valuesOf(flags, new Map());
