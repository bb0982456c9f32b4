/**
 * Central mode on the real server: a failure in a member account is handled by the central function,
 * and a fix approved in chat is attached by the approver, through the member role, in that account
 * and nowhere else.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalDependencies } from '../../lambdas/approver/approve.js';
import { approve } from '../../lambdas/approver/approve.js';
import { homeAccountAccess, memberAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { MEMBER_ROLE_NAME } from '../../lib/sagemaker-permission-remediator.js';
import { MOTO_ACCOUNT, MOTO_HOME } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, ROLE_NAME, TRUST_POLICY } from '../support/world.js';

const MEMBER = '222233334444';
const env = useMotoWorld();
let memberIam: IAMClient;

beforeEach(async () => {
  // What MemberAccountForwarder and the team's own stack create in the member account.
  const { Credentials } = await new STSClient({}).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'setup',
    }),
  );
  memberIam = new IAMClient({
    credentials: {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken,
    },
  });
  for (const RoleName of [MEMBER_ROLE_NAME, ROLE_NAME]) {
    await memberIam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: TRUST_POLICY }));
  }
});

const CENTRAL = {
  memberRoleName: MEMBER_ROLE_NAME,
  homeAccountId: MOTO_ACCOUNT,
  homeRegion: MOTO_HOME.region,
};
const GATES = {
  allowedAccounts: [MEMBER],
  roleNamePatterns: ['SageMakerExec*'],
  resourcePatterns: [`arn:aws:kms:us-east-1:${MEMBER}:key/*`],
};

/** Reaches member accounts through the member role, as the central function and approver do. */
const centralAccess = (sts = new STSClient({})) =>
  memberAccountAccess({ ...CENTRAL, sts, home: { sagemaker: env.world.sagemaker, iam: env.world.iam } });

/** The central handler, reaching member accounts through `sts`, auto-remediating in `allowedAccounts`. */
function centralHandler(allowedAccounts: string[], sts = new STSClient({})) {
  return env.world.handler(
    { ...GATES, autoRemediate: true, allowedAccounts, central: CENTRAL },
    {},
    centralAccess(sts),
  );
}

describe('central mode', () => {
  it('attaches the fix to the role in the member account, not to the same-named role at home', async () => {
    const handler = centralHandler([MEMBER]);
    // Act
    const result = await handler(motoEvent('training-kms-output-denied.json', MEMBER));
    // Assess
    expect(result).toMatchObject({ status: 'applied' });
    const [delivered] = await env.world.delivered();
    expect(delivered?.attributes.accountId).toBe(MEMBER);
    expect(Object.values(await env.world.inlinePolicies(memberIam))).toEqual([
      expect.objectContaining({
        Statement: [
          expect.objectContaining({
            Resource: [`arn:aws:kms:us-east-1:${MEMBER}:key/0987dcba-09fe-87dc-65ba-ab0987654321`],
          }),
        ],
      }),
    ]);
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('only proposes for a member account that is not in allowedAccounts', async () => {
    const handler = centralHandler([MOTO_ACCOUNT]);
    const result = await handler(motoEvent('training-kms-output-denied.json', MEMBER));
    expect(result).toMatchObject({
      status: 'proposed',
      autoApply: {
        refusals: [
          {
            code: 'account-not-allowed',
            message: expect.stringContaining(`account ${MEMBER} is not in allowedAccounts`) as string,
          },
        ],
      },
    });
    expect(await env.world.inlinePolicies(memberIam)).toEqual({});
  });

  it('still sends the proposal, unverified, when the member role cannot be assumed', async () => {
    const unreachable = new STSClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const handler = centralHandler([MEMBER], unreachable);
    const result = await handler(motoEvent('training-kms-output-denied.json', MEMBER));
    expect(result).toMatchObject({
      status: 'proposed',
      verification: 'unverified',
      autoApply: { outcome: 'refused' },
    });
    const [delivered] = await env.world.delivered();
    expect(delivered?.message.text).toContain(
      `cannot assume arn:aws:iam::${MEMBER}:role/${MEMBER_ROLE_NAME}`,
    );
    expect(await env.world.inlinePolicies(memberIam)).toEqual({});
  });

  it.each([
    [
      'a job ARN of another account than the event',
      (event: Record<string, unknown>) => ({ ...event, account: MEMBER }),
      /is in account 333344445555, but the event came from account 222233334444/,
    ],
    [
      'no account on the event',
      ({ account: _account, ...event }: Record<string, unknown>) => event,
      /the event names no account/,
    ],
  ])('skips an event with %s, acting nowhere', async (_name, change, reason) => {
    // Prepare: a member account forwards a failure of a job in a third account.
    const event = change(motoEvent('training-kms-output-denied.json', '333344445555'));
    // Act
    const result = await centralHandler([MEMBER, '333344445555'])(event);
    // Assess
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(reason) as string });
    expect(await env.world.delivered()).toEqual([]);
    expect(await env.world.inlinePolicies(memberIam)).toEqual({});
    expect(await env.world.inlinePolicies()).toEqual({});
  });
});

describe('issue 17: outside central mode the remediator acts only in its own account and region', () => {
  /** The home account's job, in another region than the function's. */
  const otherRegion = (): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify(motoEvent('training-kms-output-denied.json')).replaceAll('us-east-1', 'eu-west-1'),
    ) as Record<string, unknown>;

  it.each([
    [
      'an allowed member account',
      () => motoEvent('training-kms-output-denied.json', MEMBER),
      `account ${MEMBER}`,
    ],
    ['another region of this account', otherRegion, 'region eu-west-1'],
  ])(
    '17-6: a failure in %s changes no role, neither there nor the same-named one at home',
    async (_where, event, elsewhere) => {
      // Prepare: auto-remediation on for both accounts; the home account has a role of the same name.
      const handler = env.world.handler({
        ...GATES,
        autoRemediate: true,
        allowedAccounts: [MEMBER, MOTO_ACCOUNT],
      });
      // Act
      const result = await handler(event());
      // Assess
      expect(result).toMatchObject({
        status: 'proposed',
        verification: 'unverified',
        autoApply: { outcome: 'refused' },
      });
      const [delivered] = await env.world.delivered();
      expect(delivered?.message.text).toContain(`the job is in ${elsewhere}`);
      expect(await env.world.inlinePolicies()).toEqual({});
      expect(await env.world.inlinePolicies(memberIam)).toEqual({});
    },
  );
});

describe('approval from chat in central mode', () => {
  const approver = (accountAccess: ApprovalDependencies['accountAccess']): ApprovalDependencies => ({
    sns: env.world.sns,
    dynamodb: env.world.dynamodb,
    accountAccess,
    config: { proposalsTableName: env.world.proposalsTableName, topicArn: env.world.topicArn, ...GATES },
    logger: new Logger({ serviceName: 'approver', logLevel: 'SILENT' }),
  });

  /** The central function proposes (auto-remediation off) and returns the chat button's proposal id. */
  async function memberProposalId(): Promise<string> {
    const handler = env.world.handler(
      { ...GATES, central: CENTRAL, proposalsTableName: env.world.proposalsTableName },
      {},
      centralAccess(),
    );
    await handler(motoEvent('training-kms-output-denied.json', MEMBER));
    const [delivered] = await env.world.delivered();
    const chatbot = delivered?.message.chatbot as { metadata: { additionalContext: Record<string, string> } };
    return chatbot.metadata.additionalContext.proposalId ?? '';
  }

  it('reproduction 1: an approved member proposal is attached to the member role, never to the same-named role at home', async () => {
    // Prepare
    const proposalId = await memberProposalId();
    // Act
    const result = await approve({ proposalId }, approver(centralAccess()));
    // Assess
    expect(result).toMatchObject({ status: 'applied', refusals: [] });
    expect(Object.values(await env.world.inlinePolicies(memberIam))).toEqual([
      expect.objectContaining({
        Statement: [
          expect.objectContaining({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: [`arn:aws:kms:us-east-1:${MEMBER}:key/0987dcba-09fe-87dc-65ba-ab0987654321`],
          }),
        ],
      }),
    ]);
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('reproduction 1: an approver not in central mode refuses a member account proposal', async () => {
    // Prepare
    const proposalId = await memberProposalId();
    const homeOnly = homeAccountAccess(MOTO_HOME, { sagemaker: env.world.sagemaker, iam: env.world.iam });
    // Act
    const result = await approve({ proposalId }, approver(homeOnly));
    // Assess
    expect(result.status).toBe('refused');
    expect(result.refusals.map((r) => r.message).join('\n')).toContain(
      `cannot act in the job's account: the job is in account ${MEMBER}, not in this account ${MOTO_ACCOUNT}`,
    );
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(await env.world.inlinePolicies(memberIam)).toEqual({});
  });

  it('refuses when the member role cannot be assumed, and changes nothing', async () => {
    const proposalId = await memberProposalId();
    const unreachable = new STSClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const result = await approve({ proposalId }, approver(centralAccess(unreachable)));
    expect(result.status).toBe('refused');
    expect(result.refusals.map((r) => r.message).join('\n')).toContain(
      `cannot assume arn:aws:iam::${MEMBER}:role/${MEMBER_ROLE_NAME}`,
    );
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(await env.world.inlinePolicies(memberIam)).toEqual({});
  });
});
