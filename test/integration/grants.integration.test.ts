import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from 'vitest';
import { printGrants, revokeOne } from '../../bin/grants.js';
import { diagnose, failedJobFromInput } from '../../lambdas/core/index.js';
import { grantsCleanupNotificationOf } from '../../lambdas/core/notification.js';
import type { PolicyDocument } from '../../lambdas/core/propose.js';
import type { LastAccessed } from '../../lambdas/remediator/aws/grants.js';
import {
  cleanupGrants,
  markRecords,
  readGrantRecords,
  writeGrant,
} from '../../lambdas/remediator/aws/grants.js';
import { lifecycleOf } from '../support/grant-oracle.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, TRUST_POLICY } from '../support/world.js';

const env = useMotoWorld({ withWorld: false });
const NOW = new Date('2026-12-01T10:00:00Z');
const TABLE = 'grant-records';
const BUCKET = 'arn:aws:s3:::sagemaker-us-east-1-123456789012';

const iam = () => new IAMClient({});
const dynamodb = () => new DynamoDBClient({});

const readPolicy = (bucket: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'S3Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/*`] }],
});

async function createRole(roleName: string, path = '/'): Promise<string> {
  const { Role } = await iam().send(
    new CreateRoleCommand({ RoleName: roleName, Path: path, AssumeRolePolicyDocument: TRUST_POLICY }),
  );
  return Role?.Arn ?? '';
}

/** One guard-approved write to a role, as the remediator makes it. */
async function grantTo(
  roleName: string,
  policy: PolicyDocument,
  options: { now?: Date; ttlDays?: number } = {},
) {
  const job = failedJobFromInput(motoEvent('training-kms-output-denied.json'));
  return writeGrant(
    { iam: iam(), dynamodb: dynamodb(), grantsTableName: TABLE },
    {
      roleName,
      policy,
      job,
      diagnosis: diagnose(job.failureReason ?? '', job),
      approvedBy: { kind: 'guard', refusals: [] },
      ttlDays: options.ttlDays ?? 30,
      now: options.now ?? NOW,
    },
  );
}

function collect() {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

async function inlinePolicyNamesOf(roleName: string): Promise<string[]> {
  const { ListRolePoliciesCommand } = await import('@aws-sdk/client-iam');
  return (await iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
}

beforeEach(async () => {
  await env.moto.reset();
  await dynamodb().send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

describe('grants on the real server', () => {
  it("lists exactly the service's policies on several roles, one under service-role/, not a team's own", async () => {
    // Prepare
    await createRole('TeamA-SageMaker');
    await createRole('TeamB-SageMaker', '/service-role/');
    await createRole('Untouched');
    await grantTo('TeamA-SageMaker', readPolicy(BUCKET));
    const written = await grantTo('TeamB-SageMaker', readPolicy(BUCKET), { ttlDays: 0 });
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'TeamB-SageMaker',
        PolicyName: 'team-own-policy',
        PolicyDocument: JSON.stringify(readPolicy('arn:aws:s3:::team-bucket')),
      }),
    );
    const out = collect();
    // Act
    const code = await printGrants(iam(), { rolePatterns: [], format: 'json', write: out.write, now: NOW });
    // Assess
    expect(code).toBe(0);
    const { grants } = JSON.parse(out.text()) as { grants: Record<string, unknown>[] };
    expect(grants.map((g) => [g.roleName, g.policyName, g.state, g.expiresAt])).toEqual([
      ['TeamA-SageMaker', 'sagemaker-iam-remediator-grants', 'active', '2026-12-31T10:00:00Z'],
      ['TeamB-SageMaker', 'sagemaker-iam-remediator-grants', 'active', null],
    ]);
    expect(grants[1]?.recordId).toBe(written.recordId);
    expect(Object.keys(grants[0] ?? {}).sort()).toEqual(
      ['expiresAt', 'policyName', 'recordId', 'roleName', 'state', 'statements'].sort(),
    );
    const filtered = collect();
    await printGrants(iam(), { rolePatterns: ['TeamB-*'], format: 'text', write: filtered.write, now: NOW });
    expect(filtered.text()).toContain('1 policy(ies) of the service.');
  });

  it('revoke deletes one of the service policies and refuses one outside the prefix, changing nothing', async () => {
    // Prepare
    await createRole('TeamA-SageMaker', '/service-role/');
    await grantTo('TeamA-SageMaker', readPolicy(BUCKET));
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'TeamA-SageMaker',
        PolicyName: 'team-own-policy',
        PolicyDocument: JSON.stringify(readPolicy('arn:aws:s3:::team-bucket')),
      }),
    );
    const out = collect();
    const err = collect();
    const streams = { out: out.write, err: err.write };
    // Act
    const refused = await revokeOne(
      iam(),
      { roleName: 'TeamA-SageMaker', policyName: 'team-own-policy' },
      streams,
    );
    const revoked = await revokeOne(
      iam(),
      { roleName: 'TeamA-SageMaker', policyName: 'sagemaker-iam-remediator-grants' },
      streams,
    );
    // Assess
    expect(refused).not.toBe(0);
    expect(err.text()).toContain('team-own-policy is not one of the service');
    expect(revoked).toBe(0);
    expect(await inlinePolicyNamesOf('TeamA-SageMaker')).toEqual(['team-own-policy']);
  });

  it('a merged write keeps one policy per role, each statement recorded; past 10,240 characters it refuses cleanly', async () => {
    // Prepare
    await createRole('TeamA-SageMaker');
    const first = await grantTo('TeamA-SageMaker', readPolicy(BUCKET));
    // Act
    const second = await grantTo('TeamA-SageMaker', readPolicy('arn:aws:s3:::declared-bucket'));
    // Assess
    expect([first.status, second.status]).toEqual(['applied', 'applied']);
    expect(await inlinePolicyNamesOf('TeamA-SageMaker')).toEqual(['sagemaker-iam-remediator-grants']);
    const marks = lifecycleOf(JSON.parse(second.status === 'too-large' ? '' : second.document));
    expect(marks.recordIds).toEqual([first.recordId, second.recordId]);
    const { Item } = await dynamodb().send(
      new GetItemCommand({ TableName: TABLE, Key: { id: { S: second.recordId } } }),
    );
    expect(JSON.parse(Item?.record?.S ?? '{}')).toMatchObject({
      recordId: second.recordId,
      roleName: 'TeamA-SageMaker',
      accountId: MOTO_ACCOUNT,
      origin: 'job-state-change',
      approvedBy: { kind: 'guard' },
      expiresAt: '2026-12-31T10:00:00Z',
      failureReasonSha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });

    // Prepare: a team policy that leaves no room.
    const filler = Array.from(
      { length: 295 },
      (_, i) => `arn:aws:s3:::team-bucket-${String(i).padStart(3, '0')}/*`,
    );
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'TeamA-SageMaker',
        PolicyName: 'team-own-policy',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: filler }],
        }),
      }),
    );
    const before = second.status === 'too-large' ? '' : second.document;
    // Act
    const third = await grantTo('TeamA-SageMaker', readPolicy('arn:aws:s3:::another-declared-bucket'));
    // Assess
    expect(third).toMatchObject({ status: 'too-large' });
    const { GetRolePolicyCommand } = await import('@aws-sdk/client-iam');
    const kept = await iam().send(
      new GetRolePolicyCommand({
        RoleName: 'TeamA-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
      }),
    );
    expect(JSON.parse(decodeURIComponent(kept.PolicyDocument ?? ''))).toEqual(JSON.parse(before));
  });

  it('the scheduled cleanup removes an expired grant and reports an unused one, deleting it only when told', async () => {
    // Prepare: one grant expired yesterday, one live on another role that the answerer says is unused.
    await createRole('Expired-SageMaker');
    await createRole('Idle-SageMaker', '/service-role/');
    await grantTo('Expired-SageMaker', readPolicy(BUCKET), { now: new Date('2026-10-31T10:00:00Z') });
    await grantTo('Idle-SageMaker', readPolicy(BUCKET));
    // moto has no last-accessed reports: the answer IAM would give for a role that never read S3.
    const asked: string[] = [];
    const lastAccessed: LastAccessed = async (roleArn) => {
      asked.push(roleArn);
      return new Map([['s3', undefined]]);
    };
    const later = new Date('2026-12-20T10:00:00Z');
    const options = { rolePatterns: [], now: later, reviewUnusedDays: 14, lastAccessed };
    // Act
    const report = await cleanupGrants(iam(), options);
    // Assess
    expect(await inlinePolicyNamesOf('Expired-SageMaker')).toEqual([]);
    expect(report.removedExpired.map((p) => p.roleName)).toEqual(['Expired-SageMaker']);
    expect(report.unused.map((p) => p.roleName)).toEqual(['Idle-SageMaker']);
    expect(asked).toEqual([`arn:aws:iam::${MOTO_ACCOUNT}:role/service-role/Idle-SageMaker`]);
    expect(await inlinePolicyNamesOf('Idle-SageMaker')).toEqual(['sagemaker-iam-remediator-grants']);
    const digest = grantsCleanupNotificationOf(report, { reviewUnusedDays: 14 });
    expect(JSON.parse(digest?.message ?? '{}').default).toContain(
      'set removeUnusedGrants=true to remove them',
    );

    // Act: the operator opted in to removal.
    const removal = await cleanupGrants(iam(), { ...options, removeUnusedGrants: true });
    // Assess
    expect(removal.unused.map((p) => p.roleName)).toEqual(['Idle-SageMaker']);
    expect(await inlinePolicyNamesOf('Idle-SageMaker')).toEqual([]);
  });

  it('grants --records-table shows unused from the last review, edited and removed where IAM differs from the record', async () => {
    // Prepare: four roles, one written grant each.
    for (const role of ['Active-SageMaker', 'Idle-SageMaker', 'Edited-SageMaker', 'Gone-SageMaker'])
      await createRole(role);
    const written = {
      active: await grantTo('Active-SageMaker', readPolicy(BUCKET)),
      idle: await grantTo('Idle-SageMaker', readPolicy(BUCKET)),
      edited: await grantTo('Edited-SageMaker', readPolicy(BUCKET)),
      gone: await grantTo('Gone-SageMaker', readPolicy(BUCKET)),
    };
    // The last cleanup's review: only the idle role never read S3.
    const later = new Date('2026-12-20T10:00:00Z');
    await cleanupGrants(iam(), {
      rolePatterns: [],
      now: later,
      reviewUnusedDays: 14,
      lastAccessed: async (roleArn) =>
        new Map([['s3', roleArn.endsWith('/Idle-SageMaker') ? undefined : later]]),
      markRecords: markRecords(dynamodb(), TABLE),
    });
    // By hand: one statement widened, one policy deleted.
    const { DeleteRolePolicyCommand, GetRolePolicyCommand } = await import('@aws-sdk/client-iam');
    const held = await iam().send(
      new GetRolePolicyCommand({
        RoleName: 'Edited-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
      }),
    );
    const document = JSON.parse(decodeURIComponent(held.PolicyDocument ?? '')) as {
      Statement: { Resource: string[] }[];
    };
    document.Statement = document.Statement.map((statement) => ({ ...statement, Resource: ['*'] }));
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'Edited-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
        PolicyDocument: JSON.stringify(document),
      }),
    );
    await iam().send(
      new DeleteRolePolicyCommand({
        RoleName: 'Gone-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
      }),
    );
    const out = collect();
    // Act
    await printGrants(iam(), {
      rolePatterns: [],
      format: 'json',
      write: out.write,
      now: later,
      records: await readGrantRecords(dynamodb(), TABLE),
    });
    // Assess
    const { grants } = JSON.parse(out.text()) as { grants: Record<string, unknown>[] };
    expect(grants.map((g) => [g.roleName, g.state, g.recordId])).toEqual([
      ['Active-SageMaker', 'active', written.active.recordId],
      ['Edited-SageMaker', 'edited', written.edited.recordId],
      ['Gone-SageMaker', 'removed', written.gone.recordId],
      ['Idle-SageMaker', 'unused', written.idle.recordId],
    ]);
  });

  it('the cleanup goes on past a role IAM will not let it change, and says which', async () => {
    // Prepare: two roles with an expired grant; IAM refuses every write of the first.
    await createRole('Locked-SageMaker');
    await createRole('Open-SageMaker');
    const expiredAt = { now: new Date('2026-10-31T10:00:00Z') };
    await grantTo('Locked-SageMaker', readPolicy(BUCKET), expiredAt);
    await grantTo('Open-SageMaker', readPolicy(BUCKET), expiredAt);
    const refusing = iam();
    refusing.middlewareStack.add(
      (next, context) => async (args) => {
        const { RoleName } = args.input as { RoleName?: string };
        if (
          /^(Put|Delete)RolePolicyCommand$/.test(context.commandName ?? '') &&
          RoleName === 'Locked-SageMaker'
        )
          throw Object.assign(new Error('not authorized'), { name: 'AccessDenied', $fault: 'client' });
        return next(args);
      },
      { step: 'initialize' },
    );
    // Act
    const report = await cleanupGrants(refusing, { rolePatterns: [], now: NOW });
    // Assess
    expect(report.removedExpired.map((p) => p.roleName)).toEqual(['Open-SageMaker']);
    expect(report.failed).toEqual([
      {
        roleName: 'Locked-SageMaker',
        policyName: 'sagemaker-iam-remediator-grants',
        reason: expect.stringContaining('not authorized') as string,
      },
    ]);
    expect(await inlinePolicyNamesOf('Open-SageMaker')).toEqual([]);
    expect(await inlinePolicyNamesOf('Locked-SageMaker')).toEqual(['sagemaker-iam-remediator-grants']);
  });
  it('19-attack-1: revoke refuses to delete a service policy that holds a Deny put there by hand', async () => {
    // Prepare
    await createRole('Held-SageMaker');
    const deny = { Sid: 'NoDeletes', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' };
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'Held-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [deny] }),
      }),
    );
    const err = collect();
    // Act
    const code = await revokeOne(
      iam(),
      { roleName: 'Held-SageMaker', policyName: 'sagemaker-iam-remediator-grants' },
      { out: collect().write, err: err.write },
    );
    // Assess
    expect(code).toBe(1);
    expect(err.text()).toContain('not an Allow');
    expect(await inlinePolicyNamesOf('Held-SageMaker')).toEqual(['sagemaker-iam-remediator-grants']);
  });

  it('19-attack-1: a Deny put into the service policy by hand survives a merge, the cleanup and the unused removal', async () => {
    // Prepare: a grant, then a hand adds a live Deny and an expired one to the same policy.
    await createRole('Denied-SageMaker');
    const { recordId } = await grantTo('Denied-SageMaker', readPolicy(BUCKET));
    const { GetRolePolicyCommand } = await import('@aws-sdk/client-iam');
    const read = async () =>
      JSON.parse(
        decodeURIComponent(
          (
            await iam().send(
              new GetRolePolicyCommand({
                RoleName: 'Denied-SageMaker',
                PolicyName: 'sagemaker-iam-remediator-grants',
              }),
            )
          ).PolicyDocument ?? '',
        ),
      ) as { Statement: { Sid?: string; Effect: string }[] };
    const denies = [
      { Sid: `NoDeletesR${recordId}`, Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
      {
        Sid: 'OldDeny',
        Effect: 'Deny',
        Action: 's3:PutObject',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } },
      },
    ];
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: 'Denied-SageMaker',
        PolicyName: 'sagemaker-iam-remediator-grants',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [...(await read()).Statement, ...denies],
        }),
      }),
    );
    const lastAccessed: LastAccessed = async () => new Map([['s3', undefined]]);
    // Act: another fix merged in, then the cleanup removing what is unused and expired.
    await grantTo('Denied-SageMaker', readPolicy('arn:aws:s3:::other-bucket'));
    const report = await cleanupGrants(iam(), {
      rolePatterns: [],
      now: NOW,
      reviewUnusedDays: 14,
      lastAccessed,
      removeUnusedGrants: true,
    });
    // Assess: every Allow is gone, every Deny is where the hand put it
    expect(report.failed).toEqual([]);
    expect((await read()).Statement).toEqual(denies);
  });
});
