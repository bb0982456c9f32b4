import { describe, expect, it } from 'vitest';
import type { RecordFacts } from '../../lambdas/core/grants.js';
import {
  expiresAtOf,
  GRANT_POLICY_NAME,
  grantStateOf,
  mergeGrants,
  recordFactsOf,
  removedRecordsOf,
  timeBound,
  undoIdOf,
  undoTargetOf,
} from '../../lambdas/core/grants.js';
import { grantWriteRefusals, revocationRefusals, undoRefusals } from '../../lambdas/core/guard.js';
import type { PolicyDocument } from '../../lambdas/core/propose.js';
import { lifecycleOf } from '../support/grant-oracle.js';
import { identityDecision } from '../support/oracle.js';

const ACCOUNT = '111122223333';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/service-role/SageMakerExecRole`;
const OBJECTS = 'arn:aws:s3:::sagemaker-us-east-1-111122223333/*';
const NOW = new Date('2026-12-01T10:00:00.250Z');
const RECORD = '0123456789abcdef';

const READ: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'S3Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [OBJECTS] }],
};
const KEY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Kms',
      Effect: 'Allow',
      Action: ['kms:CreateGrant'],
      Resource: [`arn:aws:kms:us-east-1:${ACCOUNT}:key/k`],
      Condition: { Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
    },
  ],
};

describe('time-bound grants', () => {
  it('expires grantTtlDays after now, in whole seconds; 0 is no expiry; anything else is refused', () => {
    // Prepare // Act // Assess
    expect(expiresAtOf(NOW, 30)).toBe('2026-12-31T10:00:00Z');
    expect(expiresAtOf(NOW, 0)).toBeUndefined();
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => expiresAtOf(NOW, bad)).toThrow(RangeError);
  });

  it.each([
    ['a statement without a condition', READ],
    ['a statement with a condition of its own', KEY],
  ])('every statement of %s carries the expiry and the record id, its own condition kept', (_, policy) => {
    // Act
    const written = timeBound(policy, { recordId: RECORD, expiresAt: '2026-12-31T10:00:00Z' });
    // Assess
    const marks = lifecycleOf(written);
    expect(marks.untimed).toEqual(policy);
    expect(marks.expiries).toEqual(policy.Statement.map(() => '2026-12-31T10:00:00Z'));
    expect(marks.recordIds).toEqual(policy.Statement.map(() => RECORD));
  });

  it('the IAM simulator allows the request before the expiry and denies it once it has passed', async () => {
    // Prepare
    const written = timeBound(READ, { recordId: RECORD, expiresAt: expiresAtOf(NOW, 30) });
    const request = (at: string) => ({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::sagemaker-us-east-1-111122223333/data/train.csv',
      context: { 'aws:CurrentTime': at },
    });
    const decide = (at: string) =>
      identityDecision(PRINCIPAL, ACCOUNT, { [GRANT_POLICY_NAME]: written }, request(at));
    // Act // Assess
    expect(await decide('2026-12-31T09:59:59Z')).toBe('Allowed');
    expect(await decide('2026-12-31T10:00:01Z')).toBe('ImplicitlyDenied');
  });
});

describe('one merged policy per role', () => {
  const first = timeBound(READ, { recordId: 'aaaaaaaaaaaaaaaa', expiresAt: '2026-12-10T00:00:00Z' });
  const expired = timeBound(KEY, { recordId: 'bbbbbbbbbbbbbbbb', expiresAt: '2026-11-30T00:00:00Z' });

  it('a rerun of the same fix renews it: one statement, the new expiry and record', () => {
    // Prepare
    const rerun = timeBound(READ, { recordId: 'cccccccccccccccc', expiresAt: '2026-12-31T10:00:00Z' });
    // Act
    const merged = mergeGrants(first.Statement, rerun, NOW);
    // Assess
    expect(merged.Statement).toEqual(rerun.Statement);
  });

  it('keeps live statements of other fixes, drops expired ones', () => {
    // Prepare
    const added = timeBound(KEY, { recordId: 'cccccccccccccccc', expiresAt: '2026-12-31T10:00:00Z' });
    // Act
    const merged = mergeGrants([...first.Statement, ...expired.Statement], added, NOW);
    // Assess
    expect(merged.Statement).toEqual([...first.Statement, ...added.Statement]);
    expect(grantStateOf(expired.Statement, NOW)).toBe('expired');
    expect(grantStateOf(merged.Statement, NOW)).toBe('active');
  });
});

describe('the guard of every grant write', () => {
  const approved = timeBound(READ, { recordId: RECORD, expiresAt: '2026-12-31T10:00:00Z' });
  const write = { policyName: GRANT_POLICY_NAME, current: [], approved, expiresAt: '2026-12-31T10:00:00Z' };

  it('passes a write of exactly the approved statements', () => {
    // Act // Assess
    expect(grantWriteRefusals({ ...write, next: approved.Statement })).toEqual([]);
  });

  it('refuses a statement that is neither on the role nor approved', () => {
    // Prepare
    const smuggled = { Sid: 'X', Effect: 'Allow', Action: '*', Resource: '*' };
    // Act
    const refusals = grantWriteRefusals({ ...write, next: [...approved.Statement, smuggled] });
    // Assess
    expect(refusals.map((r) => r.code)).toEqual(['statement-not-approved']);
  });

  it('refuses an approved statement that does not expire when a time to live is set', () => {
    // Prepare
    const untimed = timeBound(READ, { recordId: RECORD });
    // Act
    const refusals = grantWriteRefusals({ ...write, approved: untimed, next: untimed.Statement });
    // Assess
    expect(refusals.map((r) => r.code)).toEqual(['expiry-missing']);
  });

  it.each(['team-own-policy', 'sagemaker-iam-remediator-', 'Sagemaker-iam-remediator-grants'])(
    'never writes or deletes %s: outside the prefix',
    (policyName) => {
      // Act // Assess
      expect(revocationRefusals(policyName).map((r) => r.code)).toEqual(['not-service-policy']);
      expect(grantWriteRefusals({ ...write, policyName, next: [] }).map((r) => r.code)).toEqual([
        'not-service-policy',
      ]);
    },
  );
});

describe('the Undo button: the click carries only an id, the record is untrusted', () => {
  it.each([
    ['a record id', { undo: RECORD }, RECORD],
    ['upper case', { undo: RECORD.toUpperCase() }, undefined],
    ['a longer id', { undo: `${RECORD}0` }, undefined],
    ['a wildcard', { undo: '0123456789abcde*' }, undefined],
    ['a number', { undo: 123 }, undefined],
    ['a list', { undo: [RECORD] }, undefined],
    ['the key inherited, not its own', Object.create({ undo: RECORD }) as object, undefined],
    ['no object', RECORD, undefined],
  ])('reads %s as %s', (_name, event, expected) => {
    // Prepare // Act // Assess
    expect(undoIdOf(event)).toBe(expected);
  });

  const stored = {
    recordId: RECORD,
    roleName: 'SageMakerExecRole',
    roleArn: PRINCIPAL,
    policyName: GRANT_POLICY_NAME,
    accountId: ACCOUNT,
    region: 'us-east-1',
  };

  it('reads a record only when every field has its type and the role name is the ARN’s', () => {
    // Prepare // Act // Assess
    expect(undoTargetOf(stored)).toEqual({ ...stored, partition: 'aws' });
    expect(undoTargetOf({ ...stored, roleName: 'OtherRole' })).toBeUndefined();
    expect(undoTargetOf({ ...stored, roleArn: 'not-an-arn' })).toBeUndefined();
    expect(undoTargetOf({ ...stored, policyName: ['sagemaker-iam-remediator-grants'] })).toBeUndefined();
    expect(undoTargetOf(null)).toBeUndefined();
  });

  it.each([
    ['the record asked for, in an allowed account', {}, RECORD, []],
    ['another record than the one asked for', {}, 'ffffffffffffffff', ['record-mismatch']],
    [
      "another account's record",
      { accountId: '999988887777', roleArn: 'arn:aws:iam::999988887777:role/service-role/SageMakerExecRole' },
      RECORD,
      ['account-not-allowed'],
    ],
    [
      'a role of another account than the record says',
      { roleArn: 'arn:aws:iam::999988887777:role/service-role/SageMakerExecRole' },
      RECORD,
      ['role-other-account'],
    ],
    ['a policy outside the prefix', { policyName: 'team-own-policy' }, RECORD, ['not-service-policy']],
  ])('refuses by the record as stored: %s', (_name, fields, askedFor, codes) => {
    // Prepare
    const target = undoTargetOf({ ...stored, ...fields });
    if (!target) throw new Error('expected a readable record');
    // Act
    const refusals = undoRefusals(target, askedFor, { allowedAccounts: [ACCOUNT] });
    // Assess
    expect(refusals.map((r) => r.code)).toEqual(codes);
  });
});

describe('the state grants shows, IAM against the records', () => {
  const written = timeBound(READ, { recordId: RECORD, expiresAt: '2026-12-31T10:00:00Z' }).Statement;
  const facts = (more: Partial<RecordFacts> = {}): ReadonlyMap<string, RecordFacts> => {
    const record = recordFactsOf({
      record: {
        recordId: RECORD,
        roleName: 'R',
        roleArn: null,
        policyName: GRANT_POLICY_NAME,
        statements: written,
        expiresAt: '2026-12-31T10:00:00Z',
      },
    });
    if (!record) throw new Error('expected a record');
    return new Map([[RECORD, { ...record, ...more }]]);
  };

  it.each([
    ['as written', written, facts(), 'active'],
    ['as written, found unused by the last review', written, facts({ unused: true }), 'unused'],
    ['a statement changed by hand', [{ ...written[0], Resource: ['*'] }], facts(), 'edited'],
    [
      'its expiry moved by hand',
      [{ ...written[0], Condition: { DateLessThan: { 'aws:CurrentTime': ['2099-01-01T00:00:00Z'] } } }],
      facts(),
      'edited',
    ],
    [
      'its keys in another order',
      [Object.fromEntries(Object.entries(written[0] ?? {}).reverse())],
      facts(),
      'active',
    ],
    [
      'a statement no record wrote',
      [...written, { Sid: 'Mine', Effect: 'Allow', Action: 's3:*', Resource: '*' }],
      facts(),
      'edited',
    ],
    ['a record the table does not have', written, new Map<string, RecordFacts>(), 'edited'],
  ])('%s: %s', (_name, statements, records, state) => {
    // Prepare // Act // Assess
    expect(grantStateOf(statements, NOW, { policyName: GRANT_POLICY_NAME, records })).toBe(state);
  });

  it('a policy of 0.1 (named after its content, no record ids) is judged by its expiry alone', () => {
    // Prepare
    const legacy = [{ Sid: 'S3Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [OBJECTS] }];
    // Act // Assess
    expect(grantStateOf(legacy, NOW, { policyName: 'sagemaker-iam-remediator-33e38df2b7c7' })).toBe('active');
    expect(grantStateOf(legacy, NOW, { policyName: GRANT_POLICY_NAME })).toBe('edited');
  });

  it('a record gone from IAM is removed unless taken back on purpose or expired', () => {
    // Prepare
    const [record] = facts().values();
    if (!record) throw new Error('expected a record');
    // Act // Assess
    expect(removedRecordsOf([record], new Set(), NOW)).toEqual([record]);
    expect(removedRecordsOf([record], new Set([RECORD]), NOW)).toEqual([]);
    expect(removedRecordsOf([{ ...record, closed: true }], new Set(), NOW)).toEqual([]);
    expect(removedRecordsOf([record], new Set(), new Date('2027-01-01T00:00:00Z'))).toEqual([]);
  });
});
