/**
 * 19-attack: the service's policy as read back from IAM is untrusted (a hand may have edited it).
 * Removing an Allow only narrows what a role may do; removing anything else (a Deny put there by
 * hand, or one whose Sid mimics a record) widens it. The oracle is the IAM simulator, not the guard.
 */
import type { Role } from '@aws-sdk/client-iam';
import {
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printGrants } from '../../bin/grants.js';
import type { RecordFacts, StoredStatement } from '../../lambdas/core/grants.js';
import {
  GRANT_POLICY_NAME,
  mergeGrants,
  recordFactsOf,
  timeBound,
  withoutRecord,
} from '../../lambdas/core/grants.js';
import { ApplyError } from '../../lambdas/core/errors.js';
import { grantWriteRefusals } from '../../lambdas/core/guard.js';
import { listGrants } from '../../lambdas/remediator/aws/grants.js';
import { applyPolicy } from '../../lambdas/remediator/aws/iam.js';
import type { PolicyDocument } from '../../lambdas/core/propose.js';
import { identityDecision } from '../support/oracle.js';

const ACCOUNT = '111122223333';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/service-role/SageMakerExecRole`;
const BUCKET = 'arn:aws:s3:::sagemaker-us-east-1-111122223333';
const RECORD = '0123456789abcdef';
const AT = '2026-12-01T10:00:00Z';

/** The team's own policy, outside the service's prefix: every S3 call on the bucket. */
const TEAM = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`] }],
};
const GRANT: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'S3Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${BUCKET}/*`] }],
};
const granted = timeBound(GRANT, { recordId: RECORD, expiresAt: '2026-12-31T10:00:00Z' }).Statement;
/** Put into the service's policy by hand; its Sid mimics the record's, so an undo takes it too. */
const handDeny = (sid: string): StoredStatement => ({
  Sid: sid,
  Effect: 'Deny',
  Action: 's3:DeleteObject',
  Resource: `${BUCKET}/*`,
});

const deleteDecision = (service: readonly StoredStatement[]) =>
  identityDecision(
    PRINCIPAL,
    ACCOUNT,
    {
      team: TEAM,
      ...(service.length > 0 ? { [GRANT_POLICY_NAME]: { Version: '2012-10-17', Statement: service } } : {}),
    },
    { action: 's3:DeleteObject', resource: `${BUCKET}/data/x`, context: { 'aws:CurrentTime': AT } },
  );

describe('19-attack-1: a removal never takes away a statement that is not an Allow', () => {
  it('19-attack-1: an undo refuses to remove a hand-added Deny whose Sid mimics the record', async () => {
    // Prepare
    const current = [...granted, handDeny(`KeepDeletesOffR${RECORD}`)];
    // every statement under the record's Sid, as the undo took them before
    const next = current.filter((s) => !String(s.Sid).endsWith(RECORD));
    // Act
    const refusals = grantWriteRefusals({ policyName: GRANT_POLICY_NAME, current, next });
    // Assess: the simulator shows the removal would widen the role; the guard says no
    expect(await deleteDecision(current)).toBe('ExplicitlyDenied');
    expect(await deleteDecision(next)).toBe('Allowed');
    expect(refusals.map((r) => r.code)).toEqual(['deny-removed']);
  });

  it("19-attack-1: an undo takes the record's Allows and leaves the Deny, which the guard passes", async () => {
    // Prepare
    const deny = handDeny(`KeepDeletesOffR${RECORD}`);
    const current = [...granted, deny];
    // Act
    const next = withoutRecord(current, RECORD);
    // Assess
    expect(next).toEqual([deny]);
    expect(grantWriteRefusals({ policyName: GRANT_POLICY_NAME, current, next })).toEqual([]);
    expect(await deleteDecision(next)).toBe('ExplicitlyDenied');
  });

  it('19-attack-1: a merge keeps a hand-added Deny even once it has expired', () => {
    // Prepare
    const old = {
      ...handDeny('Old'),
      Condition: { DateLessThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
    };
    const added = timeBound(GRANT, { recordId: 'fedcba9876543210', expiresAt: '2026-12-31T10:00:00Z' });
    // Act
    const merged = mergeGrants([old], added, new Date(AT));
    // Assess
    expect(merged.Statement).toEqual([old, ...added.Statement]);
    expect(
      grantWriteRefusals({
        policyName: GRANT_POLICY_NAME,
        current: [old],
        next: merged.Statement,
        approved: added,
        expiresAt: '2026-12-31T10:00:00Z',
      }),
    ).toEqual([]);
  });

  it('19-attack-1: a cleanup of unused statements refuses to remove a hand-added Deny', () => {
    // Prepare: a Deny is never "used", so the unused review picks it
    const current = [...granted, handDeny('HandDeny')];
    // Act
    const refusals = grantWriteRefusals({ policyName: GRANT_POLICY_NAME, current, next: granted });
    // Assess
    expect(refusals.map((r) => r.code)).toEqual(['deny-removed']);
  });

  it('19-attack-1: removing Allow statements only still passes', () => {
    // Act // Assess
    expect(grantWriteRefusals({ policyName: GRANT_POLICY_NAME, current: granted, next: [] })).toEqual([]);
  });

  it('19-attack-1: any subset the removal keeps passes only when the simulator sees no widening', async () => {
    // Prepare: statements of either effect, any of them dropped
    const statement = fc.record({
      Sid: fc.constantFrom('A', `BR${RECORD}`, 'C'),
      Effect: fc.constantFrom('Allow', 'Deny'),
      Action: fc.constantFrom('s3:DeleteObject', 's3:*', '*'),
      Resource: fc.constantFrom(`${BUCKET}/*`, '*'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(statement, fc.boolean()), { maxLength: 4 }), async (pairs) => {
        const current = pairs.map(([s]) => s);
        const next = pairs.filter(([, kept]) => kept).map(([s]) => s);
        // Act
        const passed = grantWriteRefusals({ policyName: GRANT_POLICY_NAME, current, next }).length === 0;
        // Assess: a removal the guard passes never turns a denial into an allow
        if (passed && (await deleteDecision(current)) !== 'Allowed')
          expect(await deleteDecision(next)).not.toBe('Allowed');
      }),
      { numRuns: 60 },
    );
  });
});

describe('19-attack-2: `grants` prints what a stored record says (untrusted) as plain text', () => {
  it('19-attack-2: a tampered record carries no escape sequence, control, invisible character or line break into the terminal', async () => {
    // Prepare: a record whose statements are gone from IAM (listed as removed), written by anyone
    // with table access.
    const hostile = `Role\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u009b31m\r\nfake  line\u202e`;
    const stored = recordFactsOf({
      record: {
        recordId: RECORD,
        roleName: hostile,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/x`,
        policyName: `sagemaker-iam-remediator-grants\u001b[2J`,
        accountId: ACCOUNT,
        expiresAt: null,
        statements: [{ Sid: `S\u009b2J\u2067`, Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      },
    });
    const iam = mockClient(IAMClient);
    iam.on(ListRolesCommand).resolves({ Roles: [] });
    const chunks: string[] = [];
    // Act
    await printGrants(new IAMClient({}), {
      rolePatterns: [],
      format: 'text',
      write: (text) => chunks.push(text),
      now: new Date(AT),
      records: new Map([[RECORD, stored as RecordFacts]]),
    });
    iam.restore();
    // Assess: the oracle's own list of what a terminal acts on: C0 but \n, DEL, C1, bidi, zero-width
    const text = chunks.join('');
    const acted = [...text].filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return (
        (code < 0x20 && c !== '\n') ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x200b && code <= 0x200f) ||
        (code >= 0x202a && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069)
      );
    });
    expect(acted).toEqual([]);
    expect(text.trimEnd().split('\n')).toHaveLength(3);
    expect(text).toContain('removed');
  });
});

describe('19-attack-3: a service policy that cannot be read as statements is never replaced', () => {
  const iam = mockClient(IAMClient);
  const ROLE = 'SageMakerExecRole';
  // A document of no statements: a write would replace what the merge could not see.
  const UNREADABLE = encodeURIComponent(JSON.stringify({ Version: '2012-10-17' }));

  it('a merged write is refused and nothing is put; the listing shows it edited, with nothing to clean', async () => {
    // Prepare
    iam.reset();
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [GRANT_POLICY_NAME] });
    iam.on(GetRolePolicyCommand).resolves({ PolicyDocument: UNREADABLE });
    iam.on(ListRolesCommand).resolves({ Roles: [{ RoleName: ROLE, Arn: PRINCIPAL } as Role] });
    const client = new IAMClient({});
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'S3Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${BUCKET}/*`] }],
    };
    // Act
    const write = applyPolicy(client, { roleName: ROLE, policy, recordId: RECORD, now: new Date(AT) });
    const listed = await listGrants(client, { rolePatterns: [], now: new Date(AT) });
    // Assess
    await expect(write).rejects.toThrow(ApplyError);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(listed).toMatchObject([
      { roleName: ROLE, policyName: GRANT_POLICY_NAME, state: 'edited', statements: [] },
    ]);
  });
});
