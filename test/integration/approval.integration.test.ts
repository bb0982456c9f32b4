/**
 * One-click approval on the real server: the remediator stores a proposal, the chat button's approver
 * re-derives it through the guard under the operator's gates, attaches exactly that policy once, and
 * records the decision on the proposal.
 */
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { ApprovalDependencies, ApproverConfig } from '../../lambdas/approver/approve.js';
import { approve } from '../../lambdas/approver/approve.js';
import type { ProposalRecord } from '../../lambdas/core/approval.js';
import { proposalIdOf } from '../../lambdas/core/approval.js';
import type { PolicyDocument } from '../../lambdas/core/index.js';
import { failedJobFromInput } from '../../lambdas/core/index.js';
import { policyNameOf } from '../../lambdas/core/propose.js';
import { homeAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { lifecycleOf } from '../support/grant-oracle.js';
import { MOTO_ACCOUNT, MOTO_HOME } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, ROLE_NAME, TRUST_POLICY, World } from '../support/world.js';

const env = useMotoWorld();

/** The operator's gates, as the remediator has them. */
const GATES = {
  allowedAccounts: [MOTO_ACCOUNT],
  roleNamePatterns: ['SageMakerExec*'],
  resourcePatterns: [`arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/*`],
};
/** The refusal messages, one line each. */
const messagesOf = (refusals: readonly { message: string }[]): string =>
  refusals.map((r) => r.message).join('\n');
const KMS_KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;

const approver = (gates: Partial<ApproverConfig> = {}, now?: () => Date): ApprovalDependencies => ({
  sns: env.world.sns,
  dynamodb: env.world.dynamodb,
  accountAccess: homeAccountAccess(MOTO_HOME, { sagemaker: env.world.sagemaker, iam: env.world.iam }),
  config: {
    proposalsTableName: env.world.proposalsTableName,
    topicArn: env.world.topicArn,
    ...GATES,
    ...gates,
  },
  logger: new Logger({ serviceName: 'approver', logLevel: 'SILENT' }),
  now,
});

/** Runs the remediator with approvals on and returns the proposal id the chat button would send. */
async function proposalIdFor(event: Record<string, unknown>): Promise<string | undefined> {
  await env.world.handler({ proposalsTableName: env.world.proposalsTableName })(event);
  const [delivered] = await env.world.delivered();
  const chatbot = delivered?.message.chatbot as { metadata: { additionalContext: Record<string, string> } };
  return chatbot.metadata.additionalContext.proposalId;
}

/** The proposal's item as the table holds it. */
async function storedItem(proposalId: string): Promise<Record<string, string | undefined>> {
  const { Item = {} } = await env.world.dynamodb.send(
    new GetItemCommand({ TableName: env.world.proposalsTableName, Key: { id: { S: proposalId } } }),
  );
  return Object.fromEntries(Object.entries(Item).map(([key, value]) => [key, value.S ?? value.N]));
}

/** The approval messages published so far. */
const approvalMessages = async () =>
  (await env.world.delivered()).filter((d) => d.message.text.includes('approved fix'));

describe('approval from chat', () => {
  it('attaches exactly the stored, guard-approved policy, and records the decision', async () => {
    // Prepare
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    expect(proposalId).toMatch(/^[0-9a-f]{24}$/);
    expect(await env.world.inlinePolicies()).toEqual({});
    const now = new Date('2026-11-27T18:00:00.000Z');
    // Act
    const result = await approve(
      { proposalId },
      approver({}, () => now),
    );
    // Assess
    expect(result).toEqual({
      status: 'applied',
      proposalId,
      refusals: [],
      policyName: 'sagemaker-iam-remediator-grants',
      decidedAt: now.toISOString(),
      approvedBy: null,
    });
    const written = Object.values(await env.world.inlinePolicies()).map(lifecycleOf);
    // Approved at `now`: it expires grantTtlDays (30 by default) later.
    expect(written.flatMap((w) => w.expiries)).toEqual(['2026-12-27T18:00:00Z']);
    expect(written.map((w) => w.untimed)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Kms',
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: [KMS_KEY],
          },
        ],
      },
    ]);
    expect(await storedItem(proposalId ?? '')).toMatchObject({
      state: 'applied',
      decidedAt: now.toISOString(),
    });
    const [message] = await approvalMessages();
    expect(message?.attributes.category).toBe('auto-remediation-applied');
    expect(message?.message.text).toContain('Approved in chat (approver unknown)');
    expect(message?.message.text).toContain(
      `Added in inline policy sagemaker-iam-remediator-grants of role ${ROLE_NAME} (record ${written[0]?.recordIds[0]}).`,
    );
    expect(message?.message.text).toContain('Expires at 2026-12-27T18:00:00Z');
    expect(message?.message.text).toContain('Undo only this fix with the Undo button');
    expect(message?.message.text).toContain('aws iam delete-role-policy');
  });

  it('reproduction 6: single-use: a second click after a human deleted the policy does nothing', async () => {
    // Prepare
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const first = await approve({ proposalId }, approver());
    expect(first.status).toBe('applied');
    await env.world.iam.send(
      new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: first.policyName ?? '' }),
    );
    // Receiving hides what was delivered so far: only new messages show below.
    await env.world.delivered();
    // Act
    const second = await approve({ proposalId }, approver());
    // Assess
    expect(second).toMatchObject({
      status: 'already-decided',
      decidedAt: first.decidedAt,
      refusals: [
        {
          code: 'already-decided',
          message: expect.stringMatching(
            /^the proposal was applied at .*: a proposal is used once$/,
          ) as string,
        },
      ],
    });
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(await env.world.delivered()).toEqual([]);
  });

  it('does not reopen a decided proposal when the same failure is delivered again', async () => {
    const event = motoEvent('training-kms-output-denied.json');
    const proposalId = await proposalIdFor(event);
    await approve({ proposalId }, approver({ roleNamePatterns: ['Other*'] }));
    // The same event again, past the idempotency window (a fresh table).
    await env.world.handler({
      proposalsTableName: env.world.proposalsTableName,
      idempotencyTableName: undefined,
    })(event);
    expect(await storedItem(proposalId ?? '')).toMatchObject({ state: 'refused' });
    await expect(approve({ proposalId }, approver())).resolves.toMatchObject({ status: 'already-decided' });
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('records who approved when the payload names them, and says so', async () => {
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const result = await approve({ proposalId, approvedBy: 'alice@example.com' }, approver());
    expect(result).toMatchObject({ status: 'applied', approvedBy: 'alice@example.com' });
    expect(await storedItem(proposalId ?? '')).toMatchObject({ approvedBy: 'alice@example.com' });
    const [message] = await approvalMessages();
    expect(message?.message.text).toContain('Approved in chat (approved by alice@example.com)');
  });

  it('drops an approver name that does not look like an identity', async () => {
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const result = await approve({ proposalId, approvedBy: '<!channel> click here' }, approver());
    expect(result).toMatchObject({ status: 'applied', approvedBy: null });
    const [message] = await approvalMessages();
    expect(message?.message.text).toContain('approver unknown');
    expect(message?.message.text).not.toContain('<!channel>');
  });

  it.each([
    [
      'an account the operator did not allow',
      { allowedAccounts: ['999999999999'] },
      /account 123456789012 is not in allowedAccounts/,
    ],
    [
      'a role no pattern opts in',
      { roleNamePatterns: ['Other*'] },
      /role SageMakerExecRole matches no roleNamePatterns/,
    ],
    ['a key the operator did not declare', { resourcePatterns: undefined }, /resource-not-declared/],
  ])(
    'reproduction 6: refuses a proposal for %s: the click replaces only the autoRemediate switch',
    async (_name, gates, refusal) => {
      // Prepare
      const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
      // Act
      const result = await approve({ proposalId }, approver(gates));
      // Assess
      expect(result.status).toBe('refused');
      expect(`${messagesOf(result.refusals)}\n${result.refusals.map((r) => r.code).join('\n')}`).toMatch(
        refusal,
      );
      expect(await env.world.inlinePolicies()).toEqual({});
      expect(await storedItem(proposalId ?? '')).toMatchObject({ state: 'refused' });
      const [message] = await approvalMessages();
      expect(message?.attributes.category).toBe('approval-refused');
      expect(message?.message.text).toMatch(refusal);
    },
  );

  it('applies to a role that opted in by tag, without a name pattern', async () => {
    await env.moto.reset();
    env.world = await new World().create({
      roleTags: [{ Key: 'sagemaker-iam-remediator:auto', Value: 'true' }],
    });
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const result = await approve({ proposalId }, approver({ roleNamePatterns: [] }));
    expect(result).toMatchObject({ status: 'applied' });
  });

  it('applies a container-text proposal only as what the job implies, and says the warning preceded it', async () => {
    // Prepare: the container wrote the failure text (AlgorithmError); the proposal opened with the warning.
    const event = motoEvent('training-kms-output-denied.json');
    const detail = event.detail as Record<string, unknown>;
    detail.FailureReason = `AlgorithmError: ${String(detail.FailureReason)}`;
    const proposalId = await proposalIdFor(event);
    // Act
    const result = await approve({ proposalId }, approver());
    // Assess: the human lifted the origin rule for automation; every other gate held.
    expect(result).toMatchObject({ status: 'applied', refusals: [] });
    expect(Object.values(await env.world.inlinePolicies())).toEqual([
      expect.objectContaining({
        Statement: [
          expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [KMS_KEY] }),
        ],
      }),
    ]);
    const [message] = await approvalMessages();
    expect(message?.message.text).toContain(
      'Approved in chat (approver unknown) after the untrusted-origin warning: inline policy',
    );
  });

  it('refuses a stored proposal whose policy was tampered with', async () => {
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const { Item } = await env.world.dynamodb.send(
      new GetItemCommand({ TableName: env.world.proposalsTableName, Key: { id: { S: proposalId ?? '' } } }),
    );
    const record = JSON.parse(Item?.record?.S ?? '{}') as ProposalRecord;
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
    expect(result).toMatchObject({ status: 'refused' });
    expect(result.refusals.map((r) => r.code)).toContain('stored-policy-differs');
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('reproduction 6: refuses a forged record that grants s3:GetObject on any bucket to an admin role', async () => {
    // Prepare: someone who can write the table forges a complete, self-consistent record.
    await env.world.iam.send(
      new CreateRoleCommand({ RoleName: 'Admin', AssumeRolePolicyDocument: TRUST_POLICY }),
    );
    const adminArn = `arn:aws:iam::${MOTO_ACCOUNT}:role/Admin`;
    const event = motoEvent('training-s3-input-access-denied.json');
    const detail = event.detail as Record<string, unknown>;
    detail.RoleArn = adminArn;
    detail.FailureReason = `ClientError: User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/Admin/SageMaker is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::* because no identity-based policy allows the s3:GetObject action`;
    const job = failedJobFromInput(event);
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::*'] }],
    };
    const forged: ProposalRecord = {
      proposalId: proposalIdOf(job, adminArn, policy),
      roleArn: adminArn,
      policyName: policyNameOf(policy),
      policy,
      job,
      verification: { status: 'not-attempted', reason: 'forged' },
    };
    await env.world.dynamodb.send(
      new PutItemCommand({
        TableName: env.world.proposalsTableName,
        Item: {
          id: { S: forged.proposalId },
          record: { S: JSON.stringify(forged) },
          expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
        },
      }),
    );
    // Act: the gates admit every role, so only the re-derivation stands between the record and IAM.
    const result = await approve({ proposalId: forged.proposalId }, approver({ roleNamePatterns: ['*'] }));
    // Assess
    expect(result.status).toBe('refused');
    expect(result.refusals.map((r) => r.code)).toEqual(
      expect.arrayContaining(['resource-not-from-job', 'stored-policy-differs']),
    );
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(await storedItem(forged.proposalId)).toMatchObject({ state: 'refused' });
  });

  it('refuses a stored record of the wrong shape without touching IAM', async () => {
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    await env.world.dynamodb.send(
      new UpdateItemCommand({
        TableName: env.world.proposalsTableName,
        Key: { id: { S: proposalId ?? '' } },
        UpdateExpression: 'SET #record = :record',
        ExpressionAttributeNames: { '#record': 'record' },
        ExpressionAttributeValues: { ':record': { S: '{"proposalId": 1}' } },
      }),
    );
    const result = await approve({ proposalId }, approver());
    expect(result).toMatchObject({
      status: 'refused',
      refusals: [{ code: 'record-malformed', message: 'the stored proposal is malformed' }],
    });
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('moves an expired proposal to expired, with the time', async () => {
    const proposalId = await proposalIdFor(motoEvent('training-kms-output-denied.json'));
    const later = new Date(Date.now() + 8 * 24 * 60 * 60 * 1000);
    const result = await approve(
      { proposalId },
      approver({}, () => later),
    );
    expect(result).toMatchObject({
      status: 'expired',
      refusals: [{ code: 'expired', message: 'the proposal has expired' }],
    });
    expect(await storedItem(proposalId ?? '')).toMatchObject({
      state: 'expired',
      decidedAt: later.toISOString(),
    });
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it.each([
    ['an unknown proposal', { proposalId: '0123456789abcdef01234567' }, /unknown or expired/],
    ['a malformed request', { proposalId: "'; rm -rf /" }, /no valid proposalId/],
  ])('refuses %s', async (_name, event, refusal) => {
    const result = await approve(event, approver());
    expect(result.status).toBe('unknown');
    expect(messagesOf(result.refusals)).toMatch(refusal);
  });

  it('offers no button for what an Allow on the execution role cannot fix', async () => {
    expect(await proposalIdFor(motoEvent('training-scp-explicit-deny.json'))).toBeUndefined();
    await env.moto.reset();
    env.world = await new World().create();
    // A denied CreateTrainingJob is the caller's to fix, not the execution role's.
    expect(
      await proposalIdFor(motoEvent('cloudtrail-createtrainingjob-passrole-denied.json')),
    ).toBeUndefined();
  });
});
