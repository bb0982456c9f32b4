/**
 * The bundle as deployed: the remediator's asset from a synth with bundling (split into chunks that
 * load on their paths), run by a fresh `node` as Lambda runs it, under the synthesized role with
 * moto's IAM enforcement on. The other deployed tests run the source; this one runs what ships.
 */
import { describe, expect, it } from 'vitest';
import { bundledEntries, inFreshNode } from '../support/deployed-stack.js';
import { consoleRoleEvent, useDeployedWorld } from '../support/deployed-world.js';

const deployed = useDeployedWorld({});
const entries = bundledEntries({});

describe('the bundled remediator as deployed', () => {
  it('proposes a fix for a permission failure once, and answers a duplicate from its idempotency record', async () => {
    // Prepare
    await deployed.createExecutionRole();
    const failure = consoleRoleEvent('training-s3-output-access-denied.json');
    const entry = entries[deployed.functionId('RemediatorFunction')] ?? '';
    // Act: the event and SageMaker's duplicate of it, in one container.
    const [first, duplicate] = await deployed.invoke(
      'RemediatorFunction',
      entry,
      [failure, failure],
      inFreshNode,
    );
    // Assess: each lazily loaded path ran (accounts, idempotency, incidents, IAM, SNS) under the template's permissions.
    expect(first).toMatchObject({ status: 'proposed', verification: 'verified' });
    expect(duplicate).toEqual(first);
    const delivered = await deployed.world.delivered();
    expect(delivered).toHaveLength(1);
    expect(deployed.enforcer.decided).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dynamodb:PutItem on /),
        expect.stringMatching(/^iam:SimulatePrincipalPolicy on /),
        expect.stringMatching(/^sns:Publish on /),
      ]),
    );
    deployed.expectEveryCallAllowed();
  });
});
