import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORPUS_PATH, EVENTS_DIR, readCorpus } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** `diagnose` as `npm run diagnose` runs it. */
function cli(...args: string[]) {
  return command(process.env, 'diagnose', ...args);
}

/** The `sagemaker-iam-remediator` command, from source. */
function command(env: NodeJS.ProcessEnv, ...args: string[]) {
  const result = spawnSync(TSX, ['bin/sagemaker-iam-remediator.ts', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A shell pipeline from the repository root; `$CLI` is the command from source. */
function pipeline(script: string) {
  const result = spawnSync('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...process.env, CLI: `${TSX} bin/sagemaker-iam-remediator.ts` },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'diagnose-cli-'));
const file = (name: string, content: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};

describe('diagnose CLI', () => {
  it('prints the FixProposal as JSON for an event', () => {
    const { code, stdout } = cli(
      '--event',
      `${EVENTS_DIR}training-kms-output-denied.json`,
      '--format',
      'json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      isPermission: true,
      fixLocation: 'identity-policy',
      // An SSE-KMS upload also reads the data key back (multipart): both, or the job fails twice.
      policy: { Statement: [{ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }] },
    });
  });

  it('prints an AWS Chatbot notification for --format slack', () => {
    const { code, stdout } = cli(
      '--reason',
      'ClientError: Cannot pull algorithm container.',
      '--format',
      'slack',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
    });
  });

  it('answers the batch contract line by line and reports a bad line without stopping', () => {
    const input = file(
      'batch.jsonl',
      [
        JSON.stringify({
          id: 'a',
          failureReason: 'ClientError: Data download failed:(AccessDenied: Access Denied)',
        }),
        '{not json',
        JSON.stringify({
          id: 'c',
          failureReason: 'CapacityError: Unable to provision requested ML compute capacity.',
        }),
        JSON.stringify({
          id: 'd',
          failureReason: 'AccessDenied: Access Denied',
          event: { source: 'aws.ec2', 'detail-type': 'x' },
        }),
      ].join('\n'),
    );
    const { code, stdout, stderr } = cli('--jsonl', input);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      id: 'a',
      isPermission: true,
      actions: ['s3:GetObject', 's3:ListBucket'],
      fixLocation: 'unknown',
    });
    expect(lines[1]).toMatchObject({ line: 2, error: expect.stringContaining('not valid JSON') });
    expect(lines[2]).toMatchObject({ id: 'c', isPermission: false, actions: [] });
    // An unusable event does not lose a line that has its failure text: the text alone is diagnosed.
    expect(lines[3]).toMatchObject({
      id: 'd',
      isPermission: true,
      eventError: expect.stringContaining('not a SageMaker'),
    });
    expect(stderr).toContain('line 2');
    expect(code).toBe(1);
  });

  it.each([
    ['an unreadable file', ['--event', join(tmp, 'missing.json')], /cannot read .*ENOENT/],
    ['invalid JSON', ['--event', file('bad.json', '{"detail-type":')], /not valid JSON/],
    [
      'another event type',
      [
        '--event',
        file(
          'ec2.json',
          JSON.stringify({
            source: 'aws.ec2',
            'detail-type': 'EC2 Instance State-change Notification',
            detail: {},
          }),
        ),
      ],
      /not a SageMaker job state change/,
    ],
    [
      'a job that did not fail',
      ['--event', file('ok.json', JSON.stringify({ TrainingJobName: 'j', TrainingJobStatus: 'Completed' }))],
      /status is Completed/,
    ],
    ['a huge reason', ['--reason', 'x'.repeat(100_000)], /limit is 16384/],
    ['an unknown flag', ['--frobnicate'], /Unknown option/],
    [
      'an unknown format',
      ['--reason', 'x', '--format', 'xml'],
      /unknown --format xml; use text\|json\|slack/,
    ],
    ['a directory as the event', ['--event', tmp], /is a directory; pass a file, or - for standard input/],
    ['a directory as the batch', ['--jsonl', tmp], /is a directory/],
    ['an empty --reason', ['--reason', ''], /--reason is empty/],
    ['a blank --reason', ['--reason', '  \n'], /--reason is empty/],
  ])('exits 2 with one line on stderr for %s', (_name, args, message) => {
    const { code, stderr } = cli(...args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});

describe('the command in pipes', () => {
  it('ends quietly when the reader closes the pipe (| head -1)', () => {
    // Prepare: demo writes far more than one line.
    // Act
    const { stdout, stderr } = pipeline('$CLI demo | head -1; echo "exit=${PIPESTATUS[0]}" >&2');
    // Assess
    expect(stdout).toBe('\n');
    expect(stderr).toBe('exit=0\n');
  });

  it('reads the event from standard input with --event -', () => {
    const { code, stdout } = pipeline(
      `$CLI diagnose --event - --format json < ${EVENTS_DIR}training-kms-output-denied.json`,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ fixLocation: 'identity-policy', jobName: expect.any(String) });
  });

  it('reads a batch from standard input with --jsonl -', () => {
    const { code, stdout } = pipeline(
      `echo '{"id":"k","failureReason":"not authorized to perform: kms:Decrypt"}' | $CLI diagnose --jsonl -`,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id: 'k', actions: ['kms:Decrypt'] });
  });

  it.each([
    ['the command', `$CLI diagnose`],
    ['npm run --silent', 'npm run --silent diagnose --'],
  ])('prints nothing but the JSON document with --format json, started as %s', (_name, start) => {
    const { code, stdout } = pipeline(
      `${start} --event examples/events/training-scp-explicit-deny.json --format json`,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ isPermission: true, fixLocation: 'scp' });
  });

  it('scores the repository corpus through the score subcommand', () => {
    const { code, stdout } = command(process.env, 'score', '--corpus', CORPUS_PATH, '--format', 'json');
    expect(code).toBe(0);
    const score = JSON.parse(stdout) as { items: number; classificationAccuracy: number };
    expect(score.items).toBe(readCorpus().length);
    expect(score.classificationAccuracy).toBeGreaterThan(90);
  });

  it('prints the version written in package.json', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(command(process.env, '--version').stdout).toBe(`${version}\n`);
  });

  it.each([
    [['frobnicate'], /unknown command frobnicate/],
    [[], /no command/],
    [['recent', '--format', 'slack'], /unknown --format slack; use text\|json/],
  ])('exits 2 for %j', (args, message) => {
    const { code, stderr } = command(process.env, ...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('recent without an AWS setup', () => {
  const bare = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const nowhere = {
    AWS_CONFIG_FILE: join(tmp, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmp, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  it.each([
    ['no credentials', { ...bare, ...nowhere, AWS_REGION: 'us-east-1' }, /no AWS credentials found/],
    [
      'no region',
      { ...bare, ...nowhere, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
      /no AWS region/,
    ],
  ])('exits 2 with one clear line when there are %s', (_name, env, message) => {
    const { code, stderr } = command(env, 'recent', '--days', '2');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  it('refuses a --days that is not a whole number of days', () => {
    expect(command(process.env, 'recent', '--days', 'many').stderr).toMatch(/--days takes a whole number/);
  });
  it('grants revoke refuses a policy outside the prefix before calling IAM: exit 1, one line', () => {
    // Act: no endpoint, no credentials: a call to IAM would fail otherwise.
    const { code, stderr } = command(
      { ...process.env, ...nowhere, AWS_REGION: 'us-east-1' },
      'grants',
      'revoke',
      '--role-name',
      'TeamRole',
      '--policy-name',
      'team-own-policy',
    );
    // Assess
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/is not one of the service's policies/),
    ]);
  });
});

describe('diagnose --grant-ttl-days', () => {
  const event = `${EVENTS_DIR}training-kms-output-denied.json`;

  it('says when the proposed statements expire; 0, chosen explicitly, proposes ones that do not', () => {
    // Act
    const days = cli('--event', event, '--grant-ttl-days', '7');
    const none = cli('--event', event, '--grant-ttl-days', '0');
    // Assess
    expect([days.code, none.code]).toEqual([0, 0]);
    const expiry = /Expires at (\S+) \(IAM enforces it/.exec(days.stdout)?.[1] ?? '';
    expect(Date.parse(expiry) - Date.now()).toBeGreaterThan(6.9 * 24 * 60 * 60 * 1000);
    expect(days.stdout).toContain(`"DateLessThan":{"aws:CurrentTime":["${expiry}"]}`);
    expect(none.stdout).not.toMatch(/DateLessThan|Expires at/);
  });

  it('an empty value is refused, never read as 0', () => {
    // Act
    const { code, stderr } = cli('--event', event, '--grant-ttl-days', '');
    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/--grant-ttl-days takes a whole number of days/);
  });
});

describe('diagnose CLI auto-remediation preview', () => {
  const event = `${EVENTS_DIR}training-kms-output-denied.json`;
  it.each([
    [[], false, /auto-remediation-off: auto-remediation is off/],
    [
      ['--auto-remediate', '--allowed-accounts', '999988887777', '--role-name-patterns', 'SageMaker*'],
      false,
      /account-not-allowed: .*not in allowedAccounts/,
    ],
    [
      ['--auto-remediate', '--allowed-accounts', '111122223333', '--role-name-patterns', 'SageMaker*'],
      false,
      /resource-not-declared: .*key\/0987dcba-09fe-87dc-65ba-ab0987654321 matches no declared resource pattern/,
    ],
    [
      [
        '--auto-remediate',
        '--allowed-accounts',
        '111122223333',
        '--role-name-patterns',
        'SageMaker*',
        '--auto-remediate-resources',
        'arn:aws:s3:::sagemaker-*,arn:aws:kms:us-east-1:111122223333:key/*',
      ],
      true,
      /^$/,
    ],
  ])('%j', (flags, eligible, refusal) => {
    const { code, stdout } = cli('--event', event, '--format', 'json', ...flags);
    expect(code).toBe(0);
    const { autoApply } = JSON.parse(stdout) as {
      autoApply: { eligible: boolean; refusals: { code: string; message: string }[]; policy: unknown };
    };
    expect(autoApply.eligible).toBe(eligible);
    expect(autoApply.refusals.map((r) => `${r.code}: ${r.message}`).join('\n')).toMatch(refusal);
    expect(autoApply.policy).toEqual(
      eligible
        ? {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'Kms',
                Effect: 'Allow',
                Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                Resource: ['arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321'],
              },
            ],
          }
        : null,
    );
  });
});

describe('every flag and subcommand alike (issue 20)', () => {
  const KMS_DENIAL =
    'User: arn:aws:sts::111122223333:assumed-role/R/s is not authorized to perform: kms:Decrypt';

  it('--reason - reads the failure text from standard input, not the text "-"', () => {
    // Act
    const { code, stdout } = pipeline(`printf '%s' '${KMS_DENIAL}' | $CLI diagnose --reason - --format json`);
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      isPermission: true,
      findings: [{ grants: [{ actions: ['kms:Decrypt'] }] }],
    });
  });

  it('a failure text piped to --event - is refused with the flag that takes it', () => {
    // Act
    const { code, stderr } = pipeline(`printf '%s' '${KMS_DENIAL}' | $CLI diagnose --event -`);
    // Assess
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('--reason -');
  });

  it.each([
    ['a repeated flag', ['diagnose', '--event', 'a.json', '--event', 'b.json'], /--event is given twice/],
    [
      'alternatives together',
      ['diagnose', '--event', 'a.json', '--reason', 'x'],
      /--reason and --event are alternatives/,
    ],
    [
      'a flag and its former name',
      ['diagnose', '--reason', 'x', '--role-name-patterns', 'A', '--role-patterns', 'B'],
      /--role-name-patterns is given twice/,
    ],
    ['an unknown demo flag', ['demo', '--bogus'], /Unknown option '--bogus'/],
    ['a demo argument', ['demo', 'now'], /Unexpected argument 'now'/],
    ['an unknown demo format', ['demo', '--format', 'xml'], /unknown --format xml/],
    ['help on an unknown command', ['help', 'frobnicate'], /help takes one command name/],
  ])('%s is a usage error: exit 2, its last line on stderr says why', (_name, args, message) => {
    // Act
    const { code, stdout, stderr } = command(process.env, ...args);
    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n').find((line) => line.includes(': '))).toMatch(message);
  });

  it('demo --format json prints each sample as JSON', () => {
    // Act
    const { code, stdout } = command(process.env, 'demo', '--format', 'json');
    // Assess
    expect(code).toBe(0);
    const documents = stdout.split(/^={100}\n[^\n]+\n={100}\n/m).filter((part) => part.trim());
    expect(documents.length).toBeGreaterThan(5);
    for (const document of documents) expect(JSON.parse(document)).toHaveProperty('isPermission');
  });

  it('a former flag name still works for one release and names its new one on stderr', () => {
    // Act
    const { code, stderr } = command(
      process.env,
      'diagnose',
      '--reason',
      KMS_DENIAL,
      '--role-patterns',
      'A*',
    );
    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe(
      '--role-patterns is now --role-name-patterns; the old name goes in the next release\n',
    );
  });
});
