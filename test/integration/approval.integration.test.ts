/**
 * One-click approval on the real server: the remediator stores a proposal, the Slack button's
 * approver re-checks it with the guard and attaches exactly that policy.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { approve } from '../../lambdas/approver/approve.js';
import type { ApprovalRecord } from '../../lambdas/core/approval.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, World } from '../support/world.js';

const env = useMotoWorld();

const approver = () => ({
  iam: env.world.iam,
  sns: env.world.sns,
  dynamodb: env.world.dynamodb,
  config: {
    proposalsTableName: env.world.proposalsTableName,
    topicArn: env.world.topicArn,
    resourcePatterns: ['arn:aws:kms:us-east-1:123456789012:key/*'],
  },
  logger: new Logger({ serviceName: 'approver', logLevel: 'SILENT' }),
});

/** Runs the remediator with approvals on and returns the proposal id the Slack button would send. */
async function proposalIdFor(file: string): Promise<string | undefined> {
  await env.world.handler({ proposalsTableName: env.world.proposalsTableName })(motoEvent(file));
  const [delivered] = await env.world.delivered();
  const chatbot = delivered?.message.chatbot as { metadata: { additionalContext: Record<string, string> } };
  return chatbot.metadata.additionalContext.proposalId;
}

describe('approval from chat', () => {
  it('attaches exactly the stored, guard-approved policy, once', async () => {
    // Prepare
    const proposalId = await proposalIdFor('training-kms-output-denied.json');
    expect(proposalId).toMatch(/^[0-9a-f]{24}$/);
    expect(await env.world.inlinePolicies()).toEqual({});
    // Act
    const result = await approve({ proposalId }, approver());
    // Assess
    expect(result).toMatchObject({ status: 'applied', refusals: [] });
    expect(Object.values(await env.world.inlinePolicies())).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Kms',
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey'],
            Resource: ['arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321'],
          },
        ],
      },
    ]);
    const approvals = (await env.world.delivered()).filter((d) => d.message.text.includes('approved fix'));
    expect(approvals[0]?.attributes.category).toBe('auto-remediation-applied');
    expect(approvals[0]?.message.text).toContain('Roll back: aws iam delete-role-policy');
    await expect(approve({ proposalId }, approver())).resolves.toMatchObject({ status: 'already-applied' });
    expect(Object.keys(await env.world.inlinePolicies())).toHaveLength(1);
  });

  it('refuses a stored proposal that was tampered with', async () => {
    const proposalId = await proposalIdFor('training-kms-output-denied.json');
    const { Item } = await env.world.dynamodb.send(
      new (await import('@aws-sdk/client-dynamodb')).GetItemCommand({
        TableName: env.world.proposalsTableName,
        Key: { id: { S: proposalId ?? '' } },
      }),
    );
    const record = JSON.parse(Item?.record?.S ?? '{}') as ApprovalRecord;
    const tampered = {
      ...record,
      policy: {
        ...record.policy,
        Statement: [{ ...record.policy.Statement[0], Action: ['kms:*'], Resource: ['*'] }],
      },
    };
    await env.world.dynamodb.send(
      new PutItemCommand({
        TableName: env.world.proposalsTableName,
        Item: { ...Item, record: { S: JSON.stringify(tampered) } },
      }),
    );
    const result = await approve({ proposalId }, approver());
    expect(result).toMatchObject({
      status: 'refused',
      refusals: [expect.stringContaining('not what the guard allows')],
    });
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it.each([
    ['an unknown proposal', { proposalId: '0123456789abcdef01234567' }, /unknown or expired/],
    ['a malformed request', { proposalId: "'; rm -rf /" }, /no valid proposalId/],
  ])('refuses %s', async (_name, event, refusal) => {
    const result = await approve(event, approver());
    expect(result.status).toBe('refused');
    expect(result.refusals.join('\n')).toMatch(refusal);
  });

  it('offers no button for what an Allow on the execution role cannot fix', async () => {
    expect(await proposalIdFor('training-scp-explicit-deny.json')).toBeUndefined();
    await env.moto.reset();
    env.world = await new World().create();
    // A denied CreateTrainingJob is the caller's to fix, not the execution role's.
    expect(await proposalIdFor('cloudtrail-createtrainingjob-passrole-denied.json')).toBeUndefined();
  });
});
