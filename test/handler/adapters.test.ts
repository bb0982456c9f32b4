/**
 * The same failure through both adapters: the Lambda (stubbed clients, nothing already allowed) and
 * the CLI must propose the same policy, since they share the core.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { configFromEnv } from '../../lambdas/remediator/config.js';
import { EVENTS_DIR, eventNames, readEvent } from '../helpers/fixtures.js';
import { homeClients, lambdaContext } from '../helpers/lambda.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Endpoint events need DescribeEndpoint/Config/Model, which only the handler tests stub.
const EVENTS = eventNames().filter((name) => !name.startsWith('endpoint-'));

async function viaLambda(file: string): Promise<unknown> {
  const sns = mockClient(SNSClient).on(PublishCommand).resolves({ MessageId: 'm' });
  const iam = mockClient(IAMClient).on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [] });
  mockClient(SageMakerClient);
  try {
    const logger = new Logger({ serviceName: 'adapters', logLevel: 'SILENT' });
    const config = configFromEnv({ TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t' });
    const handler = buildHandler(
      { accountAccess: homeClients(), sns: new SNSClient({}), config, logger },
      logger,
    );
    await handler(readEvent(file), lambdaContext());
    const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message;
    if (!message) return undefined;
    const sqs = JSON.parse(JSON.parse(message).sqs as string) as { outcome: { policy?: unknown } };
    return sqs.outcome.policy;
  } finally {
    sns.restore();
    iam.restore();
  }
}

function viaCli(file: string): unknown {
  const result = spawnSync(
    `${ROOT}node_modules/.bin/tsx`,
    ['bin/diagnose.ts', '--event', `${EVENTS_DIR}${file}`, '--format', 'json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  const output = JSON.parse(result.stdout) as { isPermission: boolean; policy?: unknown };
  return output.isPermission ? output.policy : undefined;
}

describe('the Lambda and the CLI propose the same policy', () => {
  it.each(EVENTS)('%s', async (file) => {
    expect(await viaLambda(file)).toEqual(viaCli(file));
  });
});

describe('AUTO_REMEDIATE_RESOURCES', () => {
  const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:t';
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['[]', []],
    [
      'arn:aws:s3:::a/*, arn:aws:kms:*:111122223333:key/*',
      ['arn:aws:s3:::a/*', 'arn:aws:kms:*:111122223333:key/*'],
    ],
    ['["arn:aws:s3:::a/*","arn:aws:s3:::b,c/*"]', ['arn:aws:s3:::a/*', 'arn:aws:s3:::b,c/*']],
  ])('%j is read as %j', (value, patterns) => {
    expect(configFromEnv({ TOPIC_ARN, AUTO_REMEDIATE_RESOURCES: value }).resourcePatterns).toEqual(patterns);
  });

  it('refuses a JSON value that is not an array of strings', () => {
    expect(() => configFromEnv({ TOPIC_ARN, AUTO_REMEDIATE_RESOURCES: '[1]' })).toThrow(
      /AUTO_REMEDIATE_RESOURCES/,
    );
  });
});

describe('issue 17: the home account and region', () => {
  const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:t';
  it.each([
    [
      { HOME_ACCOUNT_ID: '111122223333', AWS_REGION: 'us-east-1' },
      { accountId: '111122223333', region: 'us-east-1' },
    ],
    [{ AWS_REGION: 'us-east-1' }, undefined],
  ])('17-6: %j gives the function the home %j (none: it acts for no job)', (env, home) => {
    expect(configFromEnv({ TOPIC_ARN, ...env }).home).toEqual(home);
  });
});
