/**
 * Central mode on the real server: a failure in a member account is handled by the central function
 * through the member role, in that account and nowhere else.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { memberAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { MEMBER_ROLE_NAME } from '../../lib/sagemaker-permission-remediator.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
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

/** The central handler, reaching member accounts through `sts`, auto-remediating in `allowedAccounts`. */
function centralHandler(allowedAccounts: string[], sts = new STSClient({})) {
  const accountAccess = memberAccountAccess({
    homeAccountId: MOTO_ACCOUNT,
    memberRoleName: MEMBER_ROLE_NAME,
    sts,
    home: { sagemaker: env.world.sagemaker, iam: env.world.iam },
  });
  return env.world.handler(
    {
      autoRemediate: true,
      allowedAccounts,
      roleNamePatterns: ['SageMakerExec*'],
      resourcePatterns: [`arn:aws:kms:us-east-1:${MEMBER}:key/*`],
    },
    {},
    accountAccess,
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
            message: expect.stringContaining(`account ${MEMBER} is not in allowedAccounts`),
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
});
