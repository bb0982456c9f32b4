#!/usr/bin/env node
/**
 * The `sagemaker-iam-remediator` command. Each subcommand is one row of {@link SUBCOMMANDS}, loaded
 * only when called, so `diagnose` never loads the AWS SDK.
 */
import { endQuietlyOnClosedPipe, packageVersion } from './io.js';

interface Subcommand {
  /** One line for `--help`. */
  readonly summary: string;
  /** The module that runs it, given the arguments after the subcommand's name. */
  readonly load: () => Promise<{ run: (argv: readonly string[]) => Promise<number> }>;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  diagnose: {
    summary: 'diagnose a failure text, an event, or a JSONL batch (offline)',
    load: () => import('./cli.js'),
  },
  recent: {
    summary: "diagnose the account's failed jobs of the last N days",
    load: () => import('./recent.js'),
  },
  preflight: {
    summary: "check a job's execution role before it runs (offline with --no-simulate)",
    load: () => import('./preflight.js'),
  },
  grants: {
    summary: "list the service's grants on the account's roles; `grants revoke` takes one back",
    load: () => import('./grants.js'),
  },
  demo: { summary: 'diagnose the bundled sample events (offline)', load: () => import('./demo.js') },
  score: {
    summary: 'score the diagnosis against a labelled corpus of your own',
    load: () => import('./score.js'),
  },
};

const NAME = 'sagemaker-iam-remediator';

const usage = (): string =>
  [
    `usage: ${NAME} <command> [flags]    (${NAME} <command> --help for its flags)`,
    '',
    ...Object.entries(SUBCOMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`),
  ].join('\n');

async function main([command, ...rest]: readonly string[]): Promise<number> {
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const subcommand =
    command !== undefined && Object.hasOwn(SUBCOMMANDS, command) ? SUBCOMMANDS[command] : undefined;
  if (!subcommand) {
    process.stderr.write(
      `${NAME}: ${command === undefined ? 'no command' : `unknown command ${command}`}\n${usage()}\n`,
    );
    return 2;
  }
  return (await subcommand.load()).run(rest);
}

endQuietlyOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
