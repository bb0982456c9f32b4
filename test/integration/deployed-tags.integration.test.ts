/**
 * Tested as deployed, in the default opt-in mode (no role-name patterns: the role's
 * `sagemaker-iam-remediator:auto=true` tag) with a Slack channel: auto-remediation by tag and a chat
 * approval, each run by the real Lambda entry module as its own role from the synthesized template,
 * every call decided against that template (the tag condition included, which moto ignores).
 */
import { GetRolePolicyCommand, ListRolePoliciesCommand, TagRoleCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { decide } from '../support/iam-enforcer.js';
import {
  CONSOLE_ROLE_ARN,
  CONSOLE_ROLE_NAME,
  consoleRoleEvent,
  OPT_IN,
  useDeployedWorld,
} from '../support/deployed-world.js';

const REMEDIATOR = '../../lambdas/remediator/handler.js';
const APPROVER = '../../lambdas/approver/handler.js';
const KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;

const deployed = useDeployedWorld({
  slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
  remediator: {
    autoRemediate: true,
    allowedAccounts: [MOTO_ACCOUNT],
    autoRemediateResources: [`arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/*`],
  },
});

/** The execution role's inline policy documents, as the administrator reads them. */
async function inlinePolicies(): Promise<string[]> {
  const { iam } = deployed.world;
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: CONSOLE_ROLE_NAME }));
  return Promise.all(
    PolicyNames.map(async (PolicyName) => {
      const { PolicyDocument = '' } = await iam.send(
        new GetRolePolicyCommand({ RoleName: CONSOLE_ROLE_NAME, PolicyName }),
      );
      return decodeURIComponent(PolicyDocument);
    }),
  );
}

describe('the remediator as deployed, by opt-in tag', () => {
  it('attaches the fix to a tagged console execution role under service-role/', async () => {
    // Prepare
    await deployed.createExecutionRole([OPT_IN]);
    // Act
    const [result] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [
      consoleRoleEvent('training-kms-output-denied.json'),
    ]);
    // Assess
    expect(result).toMatchObject({ status: 'applied' });
    expect((await inlinePolicies()).join()).toContain(KEY);
    expect(deployed.enforcer.decided).toContain(`iam:PutRolePolicy on ${CONSOLE_ROLE_ARN}`);
    deployed.expectEveryCallAllowed();
  });

  it('the template itself refuses to write a role without the tag', async () => {
    // Prepare: the function's role from the template, and a role without the tag.
    const { roleId } = deployed.stack.functionOf(deployed.functionId('RemediatorFunction'));
    const principal = deployed.stack.principalOf(roleId);
    const request = { action: 'iam:PutRolePolicy', resource: CONSOLE_ROLE_ARN };
    // Act
    const untagged = await decide(principal, { ...request, context: {} }, MOTO_ACCOUNT);
    const tagged = await decide(
      principal,
      { ...request, context: { [`iam:ResourceTag/${OPT_IN.Key}`]: OPT_IN.Value } },
      MOTO_ACCOUNT,
    );
    // Assess
    expect({ untagged, tagged }).toEqual({ untagged: 'ImplicitlyDenied', tagged: 'Allowed' });
  });
});

describe('a chat approval as deployed', () => {
  it('applies the stored proposal once the operator has tagged the role', async () => {
    // Prepare: the role is not opted in when the job fails, so the fix waits for a human.
    await deployed.createExecutionRole();
    const [proposed] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [
      consoleRoleEvent('training-kms-output-denied.json'),
    ]);
    expect(proposed).toMatchObject({ status: 'proposed' });
    const [delivered] = await deployed.world.delivered();
    const chatbot = delivered?.message.chatbot as { metadata: { additionalContext: Record<string, string> } };
    const { proposalId } = chatbot.metadata.additionalContext;
    await deployed.world.iam.send(new TagRoleCommand({ RoleName: CONSOLE_ROLE_NAME, Tags: [OPT_IN] }));
    // Act: the chat button's command.
    const [approved] = await deployed.invoke('RemediatorApprover', APPROVER, [{ proposalId }]);
    // Assess
    expect(approved).toMatchObject({ status: 'applied' });
    expect((await inlinePolicies()).join()).toContain(KEY);
    expect(deployed.enforcer.decided).toContain(`iam:GetRole on ${CONSOLE_ROLE_ARN}`);
    deployed.expectEveryCallAllowed();
  });
});
