/**
 * Tested as deployed: the grant lifecycle, each step run by the real Lambda entry module as its own
 * role from the synthesized template, every call decided against that template: an auto-fix merged
 * into the service's existing policy on a `service-role/` role, the daily cleanup removing an expired
 * grant and an unused one (IAM's last-accessed report answered by the test's answerer, which moto
 * lacks), and the Undo button through the approver.
 */
import { CreateRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { lifecycleOf } from '../support/grant-oracle.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import {
  CONSOLE_ROLE_ARN,
  CONSOLE_ROLE_NAME,
  CONSOLE_AUTO_FIX,
  consoleRoleEvent,
  useDeployedWorld,
  SAGEMAKER_TRUST,
} from '../support/deployed-world.js';

const REMEDIATOR = '../../lambdas/remediator/handler.js';
const APPROVER = '../../lambdas/approver/handler.js';
const CLEANUP = '../../lambdas/cleanup/handler.js';
/** What the daily rule sends: EventBridge's own scheduled event. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: MOTO_ACCOUNT,
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [`arn:aws:events:us-east-1:${MOTO_ACCOUNT}:rule/clean-grants`],
  detail: {},
};
const GRANTS = 'sagemaker-iam-remediator-grants';
const KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
/** A second execution role of the pattern, under the same path. */
const IDLE_ROLE_NAME = 'AmazonSageMaker-ExecutionRole-20261001T080000';
const IDLE_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/service-role/${IDLE_ROLE_NAME}`;

const deployed = useDeployedWorld({
  slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
  remediator: {
    ...CONSOLE_AUTO_FIX,
    reviewUnusedDays: 30,
    removeUnusedGrants: true,
  },
});

/** A statement as an earlier write of the service left it: its record id, its expiry. */
const earlierGrant = (sid: string, action: string, expiresAt: string) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: [action],
  Resource: ['arn:aws:s3:::sagemaker-us-east-1-123456789012/*'],
  Condition: { DateLessThan: { 'aws:CurrentTime': [expiresAt] } },
});

async function putGrants(roleName: string, statements: readonly object[]): Promise<void> {
  await deployed.world.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: GRANTS,
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    }),
  );
}

/** The statements of the service's policy on a role; none when it is gone. */
async function grantsOn(roleName: string): Promise<{ Sid?: string; Action?: unknown }[]> {
  try {
    const { PolicyDocument = '' } = await deployed.world.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: GRANTS }),
    );
    return (JSON.parse(decodeURIComponent(PolicyDocument)) as { Statement: { Sid?: string }[] }).Statement;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity')
      return [];
    throw error;
  }
}

const FUTURE = new Date(Date.now() + 20 * 24 * 60 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const PAST = '2026-01-01T00:00:00Z';

describe('the grant lifecycle as deployed', () => {
  it("merges an auto-fix into the service's existing policy on a service-role/ role", async () => {
    // Prepare: an earlier, still valid grant of the service on the role.
    await deployed.createExecutionRole();
    const earlier = earlierGrant('S3ReadR0000000000000001', 's3:GetObject', FUTURE);
    await putGrants(CONSOLE_ROLE_NAME, [earlier]);
    // Act
    const [result] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [
      consoleRoleEvent('training-kms-output-denied.json'),
    ]);
    // Assess: one policy, the earlier grant kept, the fix beside it, time-bound and recorded.
    expect(result).toMatchObject({ status: 'applied', autoApply: { policyName: GRANTS } });
    const statements = await grantsOn(CONSOLE_ROLE_NAME);
    expect(statements[0]).toEqual(earlier);
    const marks = lifecycleOf({ Version: '2012-10-17', Statement: statements.slice(1) });
    expect(JSON.stringify(marks.untimed)).toContain(KEY);
    expect(marks.expiries).toHaveLength(1);
    expect(marks.recordIds).toEqual([(result as { autoApply: { recordId: string } }).autoApply.recordId]);
    expect(deployed.enforcer.decided).toContain(`iam:PutRolePolicy on ${CONSOLE_ROLE_ARN}`);
    expect(deployed.enforcer.decided.some((call) => call.startsWith('dynamodb:PutItem on '))).toBe(true);
    deployed.expectEveryCallAllowed();
  });

  it('the daily cleanup removes an expired grant and an unused one, and keeps a used one', async () => {
    // Prepare: on one role an expired grant beside a used one; on another, a grant never used.
    await deployed.createExecutionRole();
    await deployed.world.iam.send(
      new CreateRoleCommand({
        RoleName: IDLE_ROLE_NAME,
        Path: '/service-role/',
        AssumeRolePolicyDocument: SAGEMAKER_TRUST,
      }),
    );
    const used = earlierGrant('S3ReadR0000000000000002', 's3:GetObject', FUTURE);
    await putGrants(CONSOLE_ROLE_NAME, [
      earlierGrant('S3ListR0000000000000003', 's3:ListBucket', PAST),
      used,
    ]);
    await putGrants(IDLE_ROLE_NAME, [earlierGrant('S3ReadR0000000000000004', 's3:GetObject', FUTURE)]);
    deployed.lastAccessed = {
      [CONSOLE_ROLE_ARN]: [
        { namespace: 's3', at: new Date().toISOString(), actions: { GetObject: new Date().toISOString() } },
      ],
    };
    // Act
    const [report] = await deployed.invoke('RemediatorGrantCleanup', CLEANUP, [SCHEDULED_EVENT]);
    // Assess
    expect(report).toMatchObject({
      removedExpired: [{ roleName: CONSOLE_ROLE_NAME, sids: ['S3ListR0000000000000003'] }],
      unused: [{ roleName: IDLE_ROLE_NAME, sids: ['S3ReadR0000000000000004'] }],
      removedUnused: true,
    });
    expect(await grantsOn(CONSOLE_ROLE_NAME)).toEqual([used]);
    expect(await grantsOn(IDLE_ROLE_NAME)).toEqual([]);
    expect(deployed.enforcer.decided).toContain(`iam:GenerateServiceLastAccessedDetails on ${IDLE_ROLE_ARN}`);
    expect(deployed.enforcer.decided).toContain(`iam:DeleteRolePolicy on ${IDLE_ROLE_ARN}`);
    const [digest] = await deployed.world.delivered();
    expect(digest?.attributes.category).toBe('grants-cleanup');
    deployed.expectEveryCallAllowed();
  });

  it("the Undo button takes back the applied fix's statements alone, through the approver", async () => {
    // Prepare: an earlier grant, then the auto-fix whose message offers the Undo button.
    await deployed.createExecutionRole();
    const earlier = earlierGrant('S3ReadR0000000000000005', 's3:GetObject', FUTURE);
    await putGrants(CONSOLE_ROLE_NAME, [earlier]);
    await deployed.invoke('RemediatorFunction', REMEDIATOR, [
      consoleRoleEvent('training-kms-output-denied.json'),
    ]);
    const [applied] = await deployed.world.delivered();
    const chatbot = applied?.message.chatbot as { metadata: { additionalContext: Record<string, string> } };
    const { undoId } = chatbot.metadata.additionalContext;
    expect(undoId).toMatch(/^[0-9a-f]{16}$/);
    // Act: the Undo button's command.
    const [undone] = await deployed.invoke('RemediatorApprover', APPROVER, [{ undo: undoId }]);
    // Assess
    expect(undone).toMatchObject({ status: 'undone', recordId: undoId, removed: 1 });
    expect(await grantsOn(CONSOLE_ROLE_NAME)).toEqual([earlier]);
    expect(deployed.enforcer.decided.some((call) => call.startsWith('dynamodb:UpdateItem on '))).toBe(true);
    deployed.expectEveryCallAllowed();
  });
});
