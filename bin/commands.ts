/**
 * The subcommands of `sagemaker-iam-remediator`: one row each, with its flags and help as data, and the
 * module that runs it, loaded only when called (so `diagnose` never loads the AWS SDK). A new
 * subcommand is one row here and one module with `run(values)`.
 */
import { InvalidInputError } from '../lambdas/core/errors.js';
import { GRANT_DEFAULTS } from '../lambdas/core/grants.js';
import { OUTPUT_FORMATS } from '../lambdas/core/render.js';
import type { CommandSpec, FlagSpec, FlagSpecs, FlagValues } from './flags.js';
import { defaultsOf, HELP, helpOf, parseFlags } from './flags.js';
import { packageVersion } from './io.js';

export const NAME = 'sagemaker-iam-remediator';

/** Longer than any FailureReason (1,024) or CloudTrail message; anything bigger is not a failure text. */
export const MAX_REASON_LENGTH = 16_384;

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

const DIAGNOSE_FLAGS = {
  reason: {
    type: 'string',
    input: 'text',
    limit: MAX_REASON_LENGTH,
    placeholder: 'TEXT|-',
    summary: "the job's FailureReason text (- reads it from standard input)",
  },
  event: {
    type: 'string',
    input: 'path',
    placeholder: 'FILE|-',
    summary: 'a job state change event or a Describe*Job output (JSON)',
  },
  jsonl: {
    type: 'string',
    input: 'path',
    placeholder: 'FILE|-',
    summary: 'a batch: one {id, failureReason, event?} per line, one JSON line out per line in',
  },
  format: { type: 'string', choices: OUTPUT_FORMATS, default: 'text', summary: 'how to print it' },
  'auto-remediate': {
    type: 'boolean',
    summary: 'json: add autoApply, what the guard would attach with these settings',
  },
  'allowed-accounts': {
    type: 'string',
    placeholder: 'ACCT[,ACCT]',
    default: '',
    summary: 'accounts auto-remediation may write in (context key allowedAccounts)',
  },
  'role-name-patterns': {
    type: 'string',
    placeholder: 'GLOB[,GLOB]',
    default: '',
    formerly: ['role-patterns'],
    summary: 'role names it may write (context key roleNamePatterns)',
  },
  'auto-remediate-resources': {
    type: 'string',
    placeholder: 'ARN-GLOB[,ARN-GLOB]',
    formerly: ['resource-patterns'],
    summary: 'resources a fix may name (context key autoRemediateResources)',
  },
  'grant-ttl-days': {
    type: 'string',
    placeholder: 'N',
    default: String(GRANT_DEFAULTS.ttlDays),
    summary: 'days the proposed statements stay valid, 0 no expiry (context key grantTtlDays)',
  },
} as const satisfies FlagSpecs;

const PREFLIGHT_FLAGS = {
  job: {
    type: 'string',
    input: 'path',
    required: true,
    placeholder: 'FILE|-',
    summary:
      'a Create*Job request, a Describe*Job output, or the CloudTrail record or EventBridge event of one',
  },
  role: { type: 'string', placeholder: 'ARN', summary: 'check this execution role instead of the job’s' },
  region: { type: 'string', placeholder: 'REGION', summary: 'the region the job runs in' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
  'no-simulate': {
    type: 'boolean',
    summary: 'offline: print the permissions the job needs, without checking the role',
  },
} as const satisfies FlagSpecs;

const RECENT_FLAGS = {
  days: { type: 'string', placeholder: 'N', default: '7', summary: 'how many days back, 1 to 365' },
  region: { type: 'string', placeholder: 'REGION', summary: 'the region to list (default: AWS_REGION)' },
  summary: { type: 'boolean', summary: 'counts by job type, outcome and fix location' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
} as const satisfies FlagSpecs;

const DEMO_FLAGS = {
  format: { type: 'string', choices: OUTPUT_FORMATS, default: 'text', summary: 'how to print each one' },
} as const satisfies FlagSpecs;

const SCORE_FLAGS = {
  corpus: {
    type: 'string',
    input: 'path',
    required: true,
    placeholder: 'FILE|-',
    summary: 'the labelled corpus, JSON Lines',
  },
  'show-misses': { type: 'boolean', summary: 'list each line the diagnosis got wrong' },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
} as const satisfies FlagSpecs;

/** Where the `grants` commands read and write IAM: the standard chain, or this region's endpoint. */
const IAM_REGION_FLAG = {
  type: 'string',
  placeholder: 'REGION',
  summary: 'the region of the IAM endpoint (default: AWS_REGION)',
} as const satisfies FlagSpec;

const GRANTS_FLAGS = {
  'role-name-patterns': {
    type: 'string',
    placeholder: 'GLOB[,GLOB]',
    default: '',
    formerly: ['role-patterns'],
    summary: 'only roles whose name matches, under any path (default: every role)',
  },
  'records-table': {
    type: 'string',
    placeholder: 'TABLE',
    summary: 'the stack’s grant-records table: adds unused, edited and removed (needs dynamodb:Scan on it)',
  },
  format: { type: 'string', choices: ['text', 'json'], default: 'text', summary: 'how to print it' },
  region: IAM_REGION_FLAG,
} as const satisfies FlagSpecs;

const GRANTS_REVOKE_FLAGS = {
  'role-name': { type: 'string', required: true, placeholder: 'ROLE', summary: 'the role, by name' },
  'policy-name': {
    type: 'string',
    required: true,
    placeholder: 'sagemaker-iam-remediator-…',
    summary: 'the inline policy to delete: only the service’s own',
  },
  region: IAM_REGION_FLAG,
} as const satisfies FlagSpecs;

const SELFTEST_FLAGS = {
  stack: { type: 'string', required: true, placeholder: 'NAME', summary: 'the deployed stack’s name' },
  region: { type: 'string', placeholder: 'REGION', summary: 'its region (default: AWS_REGION)' },
} as const satisfies FlagSpecs;

export type DiagnoseFlags = FlagValues<typeof DIAGNOSE_FLAGS>;
/** `diagnose` with no flags given, for commands that run it. */
export const DIAGNOSE_DEFAULTS: DiagnoseFlags = defaultsOf(DIAGNOSE_FLAGS);
export type PreflightFlags = FlagValues<typeof PREFLIGHT_FLAGS>;
export type RecentFlags = FlagValues<typeof RECENT_FLAGS>;
export type DemoFlags = FlagValues<typeof DEMO_FLAGS>;
export type ScoreFlags = FlagValues<typeof SCORE_FLAGS>;
export type SelftestFlags = FlagValues<typeof SELFTEST_FLAGS>;
export type GrantsFlags = FlagValues<typeof GRANTS_FLAGS>;
export type GrantsRevokeFlags = FlagValues<typeof GRANTS_REVOKE_FLAGS>;

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
