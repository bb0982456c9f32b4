/**
 * The subcommands of `sagemaker-iam-remediator`: one row each, with its flags and help as data, and the
 * module that runs it, loaded only when called (so `diagnose` never loads the AWS SDK). A new
 * subcommand is one row here and one module with `run(values)`.
 */
import { InvalidInputError } from '../lambdas/core/errors.js';
import {
  DEMO_FLAGS,
  DIAGNOSE_FLAGS,
  GRANTS_FLAGS,
  GRANTS_REVOKE_FLAGS,
  PREFLIGHT_FLAGS,
  RECENT_FLAGS,
  SCORE_FLAGS,
  SELFTEST_FLAGS,
} from './command-flags.js';
import type { CommandSpec, FlagSpecs, FlagValues } from './flags.js';
import { HELP, helpOf, parseFlags } from './flags.js';
import { packageVersion } from './io.js';

export const NAME = 'sagemaker-iam-remediator';

interface Command<F extends FlagSpecs> extends CommandSpec<F> {
  /** The module that runs it, given its flags' values; returns the exit code. */
  readonly load: () => Promise<{ run: (values: FlagValues<F>) => Promise<number> }>;
}

const print = (text: string): number => {
  process.stdout.write(`${text}\n`);
  return 0;
};

/** A row of the table: its help, and how it runs a command line. */
interface Entry {
  readonly spec: CommandSpec;
  /** Parses the flags with the one parser, then loads and runs the module. */
  readonly main: (argv: readonly string[], name: string) => Promise<number>;
}

/** A row, its module's `run` type-checked against its flags. */
const command = <F extends FlagSpecs>(row: Command<F>): Entry => ({
  spec: row,
  main: async (argv, name) => {
    const values = parseFlags(row, argv);
    if (values === HELP) return print(helpOf(`${NAME} ${name}`, row));
    return (await row.load()).run(values);
  },
});

const COMMANDS = {
  diagnose: command({
    summary: 'diagnose a failure text, an event, or a JSONL batch (offline)',
    flags: DIAGNOSE_FLAGS,
    alternatives: [['reason', 'event', 'jsonl']],
    requiresOneOf: ['reason', 'event', 'jsonl'],
    notes: ['exit 0 done; 1 a batch skipped lines; 2 unusable input'],
    load: () => import('./cli.js'),
  }),
  recent: command({
    summary: "diagnose the account's failed jobs of the last N days",
    flags: RECENT_FLAGS,
    notes: ['credentials and region from the standard AWS chain'],
    load: () => import('./recent.js'),
  }),
  preflight: command({
    summary: "check a job's execution role before it runs (offline with --no-simulate)",
    flags: PREFLIGHT_FLAGS,
    notes: [
      'exit 0 will pass (or --no-simulate printed the list); 1 will fail; 2 bad input; 3 not checkable',
      'examples: the examples/jobs directory of this package',
    ],
    load: () => import('./preflight.js'),
  }),
  selftest: command({
    summary: "after cdk deploy: check the function's permissions and send a test message",
    flags: SELFTEST_FLAGS,
    notes: [
      'exit 0 every check passed; 1 a check failed (its line names it); 2 bad flags or no such stack',
      'credentials and region from the standard AWS chain',
    ],
    load: () => import('./selftest.js'),
  }),
  grants: command({
    summary: "list the service's grants on the account's roles, read from IAM",
    flags: GRANTS_FLAGS,
    notes: [
      'states: active, expired, edited (a statement no record wrote); with --records-table also unused (per the last cleanup), edited (IAM differs from the record) and removed (gone by hand)',
      'credentials from the standard AWS chain',
    ],
    load: () => import('./grants.js'),
  }),
  'grants revoke': command({
    summary: "delete one of the service's policies from a role (never any other policy)",
    flags: GRANTS_REVOKE_FLAGS,
    notes: [
      'exit 0 deleted; 1 refused (nothing changed); 2 bad flags',
      'credentials from the standard AWS chain',
    ],
    load: async () => ({ run: (await import('./grants.js')).revoke }),
  }),
  demo: command({
    summary: 'diagnose the bundled sample events (offline)',
    flags: DEMO_FLAGS,
    load: () => import('./demo.js'),
  }),
  score: command({
    summary: 'score the diagnosis against a labelled corpus of your own',
    flags: SCORE_FLAGS,
    load: () => import('./score.js'),
  }),
} as const satisfies Record<string, Entry>;

type CommandName = keyof typeof COMMANDS;

const isCommand = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMANDS, name);

const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;

/**
 * The command a command line names, and the arguments after its name: a command of two words
 * (`grants revoke`) is tried before the one of its first word.
 */
function commandOf(
  first: string | undefined,
  rest: readonly string[],
): { name: CommandName; rest: readonly string[] } | undefined {
  const pair = `${first} ${rest[0]}`;
  if (isCommand(pair)) return { name: pair, rest: rest.slice(1) };
  return isCommand(first) ? { name: first, rest } : undefined;
}

export const usage = (): string =>
  [
    `usage: ${NAME} <command> [flags]    (${NAME} help <command>, or <command> --help, for its flags)`,
    '',
    ...Object.entries(COMMANDS).map(([name, { spec }]) => `  ${name.padEnd(NAME_WIDTH)}${spec.summary}`),
    `  ${'help'.padEnd(NAME_WIDTH)}this list, or a command's flags`,
  ].join('\n');

/**
 * The command line (without `node` and the script) to an exit code: usage and input errors are one
 * line on stderr and exit 2, anything else (a bug) one line and exit 70.
 */
export async function dispatch([name, ...rest]: readonly string[]): Promise<number> {
  if (name === '--version' || name === '-v') return print(packageVersion());
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) return print(usage());
  if (name === 'help') {
    const topic = commandOf(rest[0], rest.slice(1));
    if (!topic || topic.rest.length > 0) {
      process.stderr.write(`${NAME}: help takes one command name\n${usage()}\n`);
      return 2;
    }
    return print(helpOf(`${NAME} ${topic.name}`, COMMANDS[topic.name].spec));
  }
  const named = commandOf(name, rest);
  if (!named) {
    process.stderr.write(
      `${NAME}: ${name === undefined ? 'no command' : `unknown command ${name}`}\n${usage()}\n`,
    );
    return 2;
  }
  return exitCodeOf(named.name, () => COMMANDS[named.name].main(named.rest, named.name));
}

/** A command's body to its exit code, errors as one line on stderr. */
export async function exitCodeOf(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for unknown or malformed flags.
    const isUsage =
      error instanceof InvalidInputError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    // One line, whatever the message quotes (JSON.parse quotes the input, newlines and all).
    process.stderr.write(`${name}: ${(error as Error).message.replace(/\s+/g, ' ').trim()}\n`);
    return isUsage ? 2 : 70;
  }
}
