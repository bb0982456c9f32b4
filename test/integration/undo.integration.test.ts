/**
 * The Undo button on the real server: an approved fix is taken back through the approver, from the
 * record id alone; the record and the role's policy are read back, the guard decides, only that
 * record's statements go, once, and the undo is recorded. Hostile payloads change nothing.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import { DeleteRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { ApprovalDependencies } from '../../lambdas/approver/approve.js';
import { approve } from '../../lambdas/approver/approve.js';
import { undo } from '../../lambdas/approver/undo.js';
import { homeAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { MOTO_ACCOUNT, MOTO_HOME } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, ROLE_ARN, ROLE_NAME } from '../support/world.js';

const env = useMotoWorld();
const NOW = new Date('2026-11-27T18:00:00.000Z');
const GRANTS = 'sagemaker-iam-remediator-grants';

const approver = (): ApprovalDependencies => ({
  sns: env.world.sns,
  dynamodb: env.world.dynamodb,
  accountAccess: homeAccountAccess(MOTO_HOME, { sagemaker: env.world.sagemaker, iam: env.world.iam }),
  config: {
    proposalsTableName: env.world.proposalsTableName,
    grantsTableName: env.world.grantsTableName,
    topicArn: env.world.topicArn,
    allowedAccounts: [MOTO_ACCOUNT],
    roleNamePatterns: ['SageMakerExec*'],
    resourcePatterns: [`arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/*`],
  },
  logger: new Logger({ serviceName: 'approver', logLevel: 'SILENT' }),
  now: () => NOW,
});

type Chatbot = { metadata: { additionalContext: Record<string, string>; enableCustomActions?: boolean } };

/** A proposal approved in chat; the undo id its applied message offers, as the Undo button reads it. */
async function approvedFix(): Promise<string> {
  await env.world.handler({ proposalsTableName: env.world.proposalsTableName })(
    motoEvent('training-kms-output-denied.json'),
  );
  const [proposal] = await env.world.delivered();
  const { proposalId } = (proposal?.message.chatbot as Chatbot).metadata.additionalContext;
  expect((await approve({ proposalId }, approver())).status).toBe('applied');
  const [applied] = await env.world.delivered();
  const { metadata } = applied?.message.chatbot as Chatbot;
  expect(metadata.enableCustomActions).toBe(true);
  expect(metadata.additionalContext).not.toHaveProperty('proposalId');
  return metadata.additionalContext.undoId ?? '';
}

/** A record put in the table by hand: what a forged or tampered item could say. */
async function forgeRecord(recordId: string, fields: Record<string, string>): Promise<void> {
  const record = {
    recordId,
    roleName: ROLE_NAME,
    roleArn: ROLE_ARN,
    policyName: GRANTS,
    accountId: MOTO_ACCOUNT,
    region: 'us-east-1',
    ...fields,
  };
  await env.world.dynamodb.send(
    new PutItemCommand({
      TableName: env.world.grantsTableName,
      Item: { id: { S: recordId }, record: { S: JSON.stringify(record) } },
    }),
  );
}

describe('the Undo button', () => {
  it("removes only its record's statements, once, and records who and when", async () => {
    // Prepare: the approved fix, and a team's own statement merged by hand into the same policy.
    const undoId = await approvedFix();
    expect(undoId).toMatch(/^[0-9a-f]{16}$/);
    const [written] = Object.values(await env.world.inlinePolicies());
    const teamStatement = { Sid: 'TeamOwn', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' };
    await env.world.iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE_NAME,
        PolicyName: GRANTS,
        PolicyDocument: JSON.stringify({
          ...(written as object),
          Statement: [...(written as { Statement: unknown[] }).Statement, teamStatement],
        }),
      }),
    );
    // Act
    const result = await undo({ undo: undoId, approvedBy: 'U0123' }, approver());
    // Assess
    expect(result).toEqual({ status: 'undone', recordId: undoId, removed: 1, reason: expect.any(String) });
    expect(await env.world.inlinePolicies()).toEqual({
      [GRANTS]: { Version: '2012-10-17', Statement: [teamStatement] },
    });
    const { Item } = await env.world.dynamodb.send(
      new GetItemCommand({ TableName: env.world.grantsTableName, Key: { id: { S: undoId } } }),
    );
    expect([Item?.undoneAt?.S, Item?.undoneBy?.S]).toEqual([NOW.toISOString(), 'U0123']);
    const [message] = await env.world.delivered();
    expect(message?.attributes.category).toBe('grant-undo');
    expect(message?.message.text).toContain(`Undone: the statements of record ${undoId}`);
  });

  it('refuses a replayed undo: the second click changes nothing', async () => {
    // Prepare
    const undoId = await approvedFix();
    expect((await undo({ undo: undoId, approvedBy: 'U1' }, approver())).status).toBe('undone');
    const onRole = await env.world.inlinePolicies();
    // Act
    const replay = await undo({ undo: undoId, approvedBy: 'U2' }, approver());
    // Assess
    expect(replay).toMatchObject({ status: 'already-undone', removed: 0 });
    expect(replay.reason).toContain('by U1: an undo is used once');
    expect(await env.world.inlinePolicies()).toEqual(onRole);
  });

  it.each([
    [
      "another account's record",
      { accountId: '999988887777', roleArn: `arn:aws:iam::999988887777:role/${ROLE_NAME}` },
      'account-not-allowed',
    ],
    [
      'a role of another account than the record says',
      { roleArn: `arn:aws:iam::999988887777:role/${ROLE_NAME}` },
      'role-other-account',
    ],
    ['a policy outside the prefix', { policyName: 'team-own-policy' }, 'not-service-policy'],
    ['a policy that is the bare prefix', { policyName: 'sagemaker-iam-remediator-' }, 'not-service-policy'],
    ['the id of another record', { recordId: 'ffffffffffffffff' }, 'record-mismatch'],
  ])('refuses %s, and changes nothing', async (_name, fields, code) => {
    // Prepare: a real fix on the role, and a forged record that points at it.
    await approvedFix();
    const onRole = await env.world.inlinePolicies();
    const forged = '0123456789abcdef';
    await forgeRecord(forged, fields);
    // Act
    const result = await undo({ undo: forged }, approver());
    // Assess
    expect(result.status).toBe('refused');
    expect(result.reason).toContain(`[${code}]`);
    expect(await env.world.inlinePolicies()).toEqual(onRole);
    const { Item } = await env.world.dynamodb.send(
      new GetItemCommand({ TableName: env.world.grantsTableName, Key: { id: { S: forged } } }),
    );
    expect(Item?.undoneAt).toBeUndefined();
  });

  it.each([
    ['no id', {}],
    ['an id that is not a record id', { undo: `${'a'.repeat(15)}*` }],
    ['an unknown record', { undo: 'abcdefabcdefabcd' }],
  ])('answers %s as unknown and publishes nothing', async (_name, event) => {
    // Prepare
    await approvedFix();
    const onRole = await env.world.inlinePolicies();
    // Act
    const result = await undo(event, approver());
    // Assess
    expect(result.status).toBe('unknown');
    expect(await env.world.inlinePolicies()).toEqual(onRole);
    expect(await env.world.delivered()).toEqual([]);
  });

  it('gives the claim back when IAM refuses the removal: nothing changed, and a later click may retry', async () => {
    // Prepare: IAM refuses every write of the role's policy once.
    const undoId = await approvedFix();
    const onRole = await env.world.inlinePolicies();
    const refusing = {
      send: (command: unknown) =>
        command instanceof PutRolePolicyCommand || command instanceof DeleteRolePolicyCommand
          ? Promise.reject(
              Object.assign(new Error('not authorized'), { name: 'AccessDenied', $fault: 'client' }),
            )
          : env.world.iam.send(command as never),
    } as unknown as IAMClient;
    const deps = approver();
    // Act
    const failed = await undo(
      { undo: undoId },
      { ...deps, accountAccess: async () => ({ sagemaker: env.world.sagemaker, iam: refusing }) },
    );
    const retried = await undo({ undo: undoId }, deps);
    // Assess
    expect(failed).toMatchObject({ status: 'failed', removed: 0 });
    expect(failed.reason).toContain('not authorized');
    expect(retried).toMatchObject({ status: 'undone', removed: 1 });
    expect(onRole).not.toEqual({});
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('gives the claim back when the removal does not answer, and lets the error through', async () => {
    // Prepare: IAM times out on the read of the role's policy.
    const undoId = await approvedFix();
    const silent = {
      send: () => Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })),
    } as unknown as IAMClient;
    const deps = approver();
    // Act
    const timedOut = undo(
      { undo: undoId },
      { ...deps, accountAccess: async () => ({ sagemaker: env.world.sagemaker, iam: silent }) },
    );
    // Assess
    await expect(timedOut).rejects.toThrow('socket hang up');
    expect(await undo({ undo: undoId }, deps)).toMatchObject({ status: 'undone', removed: 1 });
  });
});
