import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../bin/commands.js';
import type { CommandSpec } from '../../bin/flags.js';
import { HELP, parseFlags } from '../../bin/flags.js';

/** Runs the command in this process; what it wrote to stdout and stderr. */
async function inProcess(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const code = await dispatch(argv);
  vi.restoreAllMocks();
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const COMMANDS = ['diagnose', 'recent', 'preflight', 'demo', 'score', 'grants', 'grants revoke'];

describe('help', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(COMMANDS)('%s --help prints its flags, and help %s the same', async (name) => {
    // Act
    const words = name.split(' ');
    const viaFlag = await inProcess(...words, '--help');
    const viaShort = await inProcess(...words, '-h');
    const viaHelp = await inProcess('help', ...words);
    // Assess
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toMatch(new RegExp(`^usage: sagemaker-iam-remediator ${name} `));
    expect(viaFlag.stdout).toMatch(/^ {2}--help, -h /m);
    expect(viaShort).toEqual(viaFlag);
    expect(viaHelp).toEqual(viaFlag);
  });

  it('help alone lists every command, and so does --help', async () => {
    // Act
    const help = await inProcess('help');
    // Assess
    expect(help.code).toBe(0);
    for (const name of [...COMMANDS, 'help']) expect(help.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    expect(await inProcess('--help')).toEqual(help);
  });
});

describe('the one flag parser', () => {
  // Prepare: a command of the shape a new subcommand declares.
  const SPEC = {
    summary: 'test',
    flags: {
      policy: { type: 'string', input: 'path', summary: 'a file' },
      note: { type: 'string', input: 'text', summary: 'a text' },
      mode: { type: 'string', choices: ['a', 'b'], default: 'a', summary: 'a choice' },
      target: { type: 'string', required: true, formerly: ['old-target'], summary: 'required' },
    },
  } as const satisfies CommandSpec;

  it.each([
    [
      'two flags reading standard input',
      ['--target', 't', '--policy', '-', '--note', '-'],
      '--policy and --note both read standard input; only one can',
    ],
    ['a missing required flag', ['--mode', 'b'], '--target is required (--help for more)'],
    ['a value outside the choices', ['--target', 't', '--mode', 'c'], 'unknown --mode c; use a|b'],
    [
      'a flag given twice under its two names',
      ['--target', 't', '--old-target', 'u'],
      '--target is given twice; give it once',
    ],
  ])('refuses %s in one line', (_name, argv, message) => {
    // Act
    const parse = () => parseFlags(SPEC, argv, () => undefined);
    // Assess
    expect(parse).toThrow(message);
  });

  it('takes a former name, says the new one once, and fills defaults', () => {
    // Prepare
    const warnings: string[] = [];
    // Act
    const values = parseFlags(SPEC, ['--old-target', 't'], (line) => warnings.push(line));
    // Assess
    expect(values).toEqual({ policy: undefined, note: undefined, mode: 'a', target: 't' });
    expect(warnings).toEqual(['--old-target is now --target; the old name goes in the next release']);
  });

  it('-h anywhere is help', () => {
    expect(parseFlags(SPEC, ['--mode', 'b', '-h'])).toBe(HELP);
  });
});

describe('names and versions agree', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a flag that sets a context key is named with the same words', async () => {
    // Act
    const { stdout } = await inProcess('diagnose', '--help');
    // Assess
    const named = [...stdout.matchAll(/^ {2}--([a-z-]+) .*\(context key (\w+)\)/gm)];
    expect(named.map(([, flag]) => flag)).toEqual([
      'allowed-accounts',
      'role-name-patterns',
      'auto-remediate-resources',
      'grant-ttl-days',
    ]);
    for (const [, flag, key] of named)
      expect(flag).toBe(key?.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`));
  });

  it('the CHANGELOG opens with the version package.json holds', () => {
    // Prepare
    const root = new URL('../../', import.meta.url);
    const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      version: string;
    };
    // Act
    const firstSection = /^## (.+)$/m.exec(readFileSync(new URL('CHANGELOG.md', root), 'utf8'))?.[1];
    // Assess
    expect(firstSection).toBe(version);
  });
});
