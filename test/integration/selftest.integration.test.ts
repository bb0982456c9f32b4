/**
 * `sagemaker-iam-remediator selftest` against moto: the function's role and topic are created from the
 * synthesized template, the function itself by a CloudFormation stack on moto (so the command finds it
 * as it would in an account), and the Invoke is answered by the real handler in-process, as its own
 * role, every call decided against the template.
 */
import { CreateStackCommand, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selftest as runSelftest } from '../../bin/selftest.js';
import { SELFTEST_PREFIX } from '../../lambdas/core/selftest.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { logicalId } from '../support/deployed-stack.js';
import { CONSOLE_AUTO_FIX, useDeployedWorld } from '../support/deployed-world.js';
import type { InvokeAnswerer } from '../support/invoke-answerer.js';
import { startInvokeAnswerer } from '../support/invoke-answerer.js';

const REMEDIATOR = '../../lambdas/remediator/handler.js';
const STACK = 'SageMakerIamRemediator';

const deployed = useDeployedWorld({
  remediator: {
    ...CONSOLE_AUTO_FIX,
    // The review of unused grants: its last-accessed checks run too.
    reviewUnusedDays: 30,
  },
});

let front: InvokeAnswerer;
let restore: () => void;

beforeEach(async () => {
  // Prepare: the remediator function in a CloudFormation stack on moto, with the template's role and
  // environment; its code is never run by moto.
  const functionResource = (fnId: string) => {
    const { roleId, environment } = deployed.stack.functionOf(fnId);
    return {
      [fnId]: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Role: deployed.stack.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }),
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Code: { ZipFile: 'exports.handler = async () => null;' },
          Environment: { Variables: environment },
        },
      },
    };
  };
  await new CloudFormationClient({ credentials: deployed.admin }).send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify({
        Resources: {
          ...functionResource(deployed.functionId('RemediatorFunction')),
          ...functionResource(deployed.functionId('RemediatorGrantCleanup')),
        },
      }),
    }),
  );
  front = await startInvokeAnswerer(deployed.answererEndpoint, async (_name, payload) => {
    const [result] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [payload]);
    return result;
  });
  const saved = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = front.endpoint;
  restore = () => {
    process.env.AWS_ENDPOINT_URL = saved;
  };
});

afterEach(async () => {
  restore();
  await front.stop();
});

/** Runs the command; returns its exit code and lines. */
async function selftest(): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runSelftest({ stack: STACK, region: 'us-east-1' }, (line) => lines.push(line));
  return { code, lines };
}

describe('selftest', () => {
  it('passes every check of the deployed role, and the function publishes one test message, writing nothing', async () => {
    // Act
    const { code, lines } = await selftest();
    // Assess: one line for each function and each of its checks, one for the invoke.
    expect(lines[0]).toMatch(/^function SageMakerIamRemediator-RemediatorFunction\S+, role arn:aws:iam::/);
    const cleanup = lines.findIndex((line) => line.startsWith('grant cleanup '));
    expect(lines[cleanup]).toMatch(/^grant cleanup SageMakerIamRemediator-RemediatorGrantCleanup\S+, role /);
    expect(
      lines.filter((_, index) => index > 0 && index !== cleanup).every((l) => l.startsWith('ok    ')),
    ).toBe(true);
    expect(lines.slice(0, cleanup).join('\n')).toContain(
      `iam:PutRolePolicy on arn:aws:iam::${MOTO_ACCOUNT}:role/service-role/`,
    );
    expect(lines.slice(cleanup).join('\n')).toContain('iam:GenerateServiceLastAccessedDetails on');
    expect(lines.at(-1)).toMatch(/^ok {4}invoke: /);
    expect(code).toBe(0);
    const delivered = await deployed.world.delivered();
    expect(delivered.map((d) => d.subject.startsWith(`${SELFTEST_PREFIX} `))).toEqual([true]);
    expect(delivered[0]?.message).toMatchObject({ selftest: true });
    const table = String(
      deployed.stack.resolve({
        Ref: logicalId(deployed.stack.template, 'AWS::DynamoDB::Table', 'RemediatorIdempotencyTable'),
      }),
    );
    const { Count } = await deployed.world.dynamodb.send(new ScanCommand({ TableName: table }));
    expect(Count).toBe(0);
    deployed.expectEveryCallAllowed();
  });

  it('names the missing permission when one statement is removed from the role, and stops there', async () => {
    // Prepare: the role without its PublishProposals statement.
    const { roleId } = deployed.stack.functionOf(deployed.functionId('RemediatorFunction'));
    const roleName = String(deployed.stack.resolve({ Ref: roleId }));
    const [policyName = ''] = Object.keys(deployed.stack.inlinePolicies(roleId));
    const { iam } = deployed.world;
    const { PolicyDocument = '' } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    const document = JSON.parse(decodeURIComponent(PolicyDocument)) as { Statement: { Sid?: string }[] };
    document.Statement = document.Statement.filter((s) => s.Sid !== 'PublishProposals');
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(document),
      }),
    );
    // Act
    const { code, lines } = await selftest();
    // Assess
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe(
      `FAIL  sns:Publish on ${deployed.world.topicArn}: implicitDeny; the function's role needs it to publish proposals`,
    );
    expect(await deployed.world.delivered()).toEqual([]);
  });
});
