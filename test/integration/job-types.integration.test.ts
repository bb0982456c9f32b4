/**
 * Duplicate suppression keys on the failed job, whatever its type: two tuning jobs or two endpoints
 * failing with the same reason are two failures (two messages), one failure delivered twice is one.
 * The real handler, its idempotency store and SNS→SQS delivery on the local AWS-protocol server.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
} from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import type { JobType } from '../../lambdas/core/job-types.js';
import { JOB_TYPES } from '../../lambdas/core/job-types.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, ROLE_ARN } from '../support/world.js';

const env = useMotoWorld();

/** The sample event of a job type, renamed to another job of that type (same failure text). */
function renamed(file: string, type: JobType, name: string): Record<string, unknown> {
  const event = motoEvent(file);
  const { nameField, arnField, arnResourceType } = JOB_TYPES[type];
  const detail = event.detail as Record<string, unknown>;
  detail[nameField] = name;
  detail[arnField] = `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:${arnResourceType}/${name}`;
  return event;
}

describe('duplicate suppression per job', () => {
  it('two tuning jobs failing with the same reason publish two messages; a repeat publishes none', async () => {
    const handler = env.world.handler();
    const [a, b] = ['hpo-a', 'hpo-b'].map((name) => renamed('tuning-s3-input-denied.json', 'tuning', name));
    await handler(a);
    await handler(b);
    await handler(structuredClone(a));
    const delivered = await env.world.delivered();
    expect(delivered.map((d) => d.attributes.jobName).sort()).toEqual(['hpo-a', 'hpo-b']);
  });

  it('two endpoints failing with the same reason publish two messages; a repeat publishes none', async () => {
    // Prepare: the endpoints exist on the server, so the handler can describe them and their model.
    await env.world.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'churn-model',
        ExecutionRoleArn: ROLE_ARN,
        PrimaryContainer: {
          Image: `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/churn-inference:3`,
          ModelDataUrl: 's3://my-models/churn/model.tar.gz',
        },
      }),
    );
    await env.world.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'churn-endpoint-config-1122',
        ProductionVariants: [
          {
            VariantName: 'variant-1',
            ModelName: 'churn-model',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 1,
          },
        ],
      }),
    );
    const names = ['churn-a', 'churn-b'];
    for (const EndpointName of names)
      await env.world.sagemaker.send(
        new CreateEndpointCommand({ EndpointName, EndpointConfigName: 'churn-endpoint-config-1122' }),
      );
    const handler = env.world.handler();
    const [a, b] = names.map((name) => renamed('endpoint-images-failed.json', 'endpoint', name));
    // Act
    await handler(a);
    await handler(b);
    await handler(structuredClone(b));
    // Assess
    const delivered = await env.world.delivered();
    expect(delivered.map((d) => d.attributes.jobName).sort()).toEqual(names);
  });
});
