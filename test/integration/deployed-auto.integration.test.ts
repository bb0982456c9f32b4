/**
 * Tested as deployed: auto-remediation by role-name pattern, the incident digest and pre-flight stop,
 * each run by the real Lambda entry module as its own role from the synthesized template, with
 * moto's IAM enforcement on. A call the template does not allow fails here.
 */
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLUSH_INCIDENTS_EVENT } from '../../lambdas/core/incident.js';
import { submittedTrainingJob } from '../helpers/fixtures.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import {
  CONSOLE_ROLE_ARN,
  CONSOLE_ROLE_NAME,
  CONSOLE_AUTO_FIX,
  consoleRoleEvent,
  useDeployedWorld,
} from '../support/deployed-world.js';
import { createLambdaOnlyRole, submitTrainingJob } from '../support/untrusting-role.js';

const REMEDIATOR = '../../lambdas/remediator/handler.js';
const PREFLIGHT = '../../lambdas/preflight/handler.js';
const KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;

const deployed = useDeployedWorld({
  remediator: {
    ...CONSOLE_AUTO_FIX,
    preflight: { stopOnPreflightFailure: true },
  },
});

/** The same failure again, as another job of the same cause. */
const anotherJob = (event: Record<string, unknown>, name: string) => ({
  ...event,
  id: `${String(event.id)}-${name}`,
  detail: {
    ...(event.detail as object),
    TrainingJobName: name,
    TrainingJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:training-job/${name}`,
  },
});

afterEach(() => vi.useRealTimers());

describe('the remediator as deployed, by role-name pattern', () => {
  it('attaches the fix to a console execution role under service-role/', async () => {
    // Prepare
    await deployed.createExecutionRole();
    // Act
    const [result] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [
      consoleRoleEvent('training-kms-output-denied.json'),
    ]);
    // Assess: applied under the template's own permissions, and the role holds the fix.
    expect(result).toMatchObject({ status: 'applied' });
    const { PolicyDocument = '' } = await deployed.world.iam.send(
      new GetRolePolicyCommand({
        RoleName: CONSOLE_ROLE_NAME,
        PolicyName: (result as { autoApply: { policyName: string } }).autoApply.policyName,
      }),
    );
    expect(JSON.stringify(JSON.parse(decodeURIComponent(PolicyDocument)))).toContain(KEY);
    expect(deployed.enforcer.decided).toContain(`iam:PutRolePolicy on ${CONSOLE_ROLE_ARN}`);
    deployed.expectEveryCallAllowed();
  });

  it('flushes the digest of a second failure of one cause', async () => {
    // Prepare: two jobs of one cause; the first is published at once, the second waits.
    // A cause the guard does not apply on its own (the bucket is not declared): only the digest is tested.
    const first = consoleRoleEvent('training-s3-output-access-denied.json');
    await deployed.createExecutionRole();
    await deployed.invoke('RemediatorFunction', REMEDIATOR, [first, anotherJob(first, 'second-job')]);
    const published = await deployed.world.delivered();
    // Act: the scheduled flush, once the window (15 minutes by default) has closed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 16 * 60_000);
    const [flushed] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [FLUSH_INCIDENTS_EVENT]);
    // Assess
    expect(published).toHaveLength(1);
    expect(flushed).toMatchObject({ status: 'flushed', digests: 1 });
    const [digest] = await deployed.world.delivered();
    expect(JSON.stringify(digest?.message)).toContain('second-job');
    deployed.expectEveryCallAllowed();
  });
});

describe('pre-flight as deployed', () => {
  it('stops a submitted job whose role SageMaker cannot assume, under its own permissions', async () => {
    // Prepare: a job whose execution role trusts Lambda only.
    const roleArn = await createLambdaOnlyRole(deployed.world);
    const jobName = 'xgb-submitted-stop';
    await submitTrainingJob(deployed.world, jobName, roleArn);
    // Act
    const [result] = await deployed.invoke('RemediatorPreflightFunction', PREFLIGHT, [
      submittedTrainingJob(jobName, roleArn, MOTO_ACCOUNT),
    ]);
    // Assess: the template allowed the stop (moto has no StopTrainingJob: the attempt is reported).
    expect(result).toMatchObject({ status: 'checked', stopped: false });
    const [delivered] = await deployed.world.delivered();
    expect(delivered?.message.text).toContain('Stopping the job failed:');
    const job = `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:training-job/${jobName}`;
    expect(deployed.enforcer.decided).toContain(`sagemaker:StopTrainingJob on ${job}`);
    deployed.expectEveryCallAllowed();
  });
});
