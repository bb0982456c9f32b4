/**
 * The whole path over real AWS APIs: the real handler and real SDK clients against moto in server
 * mode (no client stubs). Where moto lacks an API (SimulatePrincipalPolicy), the degraded path runs
 * against its real "not implemented" answer.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CLIENT_RETRY } from '../../lambdas/remediator/aws/retry.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { lifecycleOf } from '../support/grant-oracle.js';
import { identityDecision } from '../support/oracle.js';
import { ADMIN_USER, motoEvent, ROLE_ARN, ROLE_NAME, World } from '../support/world.js';

const env = useMotoWorld();

const AUTO = {
  autoRemediate: true,
  allowedAccounts: [MOTO_ACCOUNT],
  roleNamePatterns: ['SageMakerExec*'],
  resourcePatterns: [
    'arn:aws:s3:::my-training-bucket/*',
    'arn:aws:s3:::my-output-bucket/*',
    `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/*`,
  ],
};
const PRINCIPAL = `arn:aws:iam::${MOTO_ACCOUNT}:role/${ROLE_NAME}`;
const OUTPUT_KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
/** The bucket owner's account, as S3 puts it in the request context. */
const IN_ACCOUNT = { 's3:ResourceAccount': MOTO_ACCOUNT };
const DENIED_BY = `User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/${ROLE_NAME}/SageMaker is not authorized to perform:`;

type Refusals = { autoApply: { refusals: readonly { code: string; message: string }[] } };
const refusalCodes = (result: unknown): string[] =>
  (result as Refusals).autoApply.refusals.map((r) => r.code);

/** A failure event of the sample job whose text is `reason`. */
function eventWith(reason: string, file = 'training-kms-output-denied.json'): Record<string, unknown> {
  const event = motoEvent(file);
  (event.detail as Record<string, unknown>).FailureReason = reason;
  return event;
}

describe('proposals over SNS', () => {
  it('delivers the exact policy, attributes and three renderings through SNS to SQS', async () => {
    // Act
    const result = await env.world.handler()(motoEvent('training-s3-output-access-denied.json'));
    // Assess
    expect(result).toMatchObject({ status: 'proposed', verification: 'unverified' });
    const [delivered, ...rest] = await env.world.delivered();
    expect(rest).toHaveLength(0);
    expect(delivered?.attributes).toEqual({
      jobName: 'xgb-churn-2026-11-20-09-02-11-417',
      category: 'permission-proposal',
      fixLocation: 'unknown',
      accountId: MOTO_ACCOUNT,
      severity: 'medium',
    });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Output',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
          Resource: ['arn:aws:s3:::my-output-bucket/model_artifacts/*'],
          Condition: { StringEquals: { 's3:ResourceAccount': [MOTO_ACCOUNT] } },
        },
      ],
    };
    expect(delivered?.message.outcome).toMatchObject({ isPermission: true, roleName: ROLE_NAME, policy });
    expect(delivered?.message.text).toContain(`aws iam put-role-policy --role-name '${ROLE_NAME}'`);
    expect(delivered?.message.chatbot).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
    });
    // moto does not implement SimulatePrincipalPolicy: the proposal says it is unverified.
    expect(delivered?.message.outcome.verification).toMatchObject({
      status: 'unverified',
      reason: expect.stringContaining('SimulatePrincipalPolicy'),
    });
    expect(await env.world.inlinePolicies()).toEqual({});

    // The oracle: the failed request is denied before and allowed after; neighbours stay denied.
    const object = 'arn:aws:s3:::my-output-bucket/model_artifacts/job-1/output/model.tar.gz';
    const put = { action: 's3:PutObject', resource: object, context: IN_ACCOUNT };
    expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, {}, put)).toBe('ImplicitlyDenied');
    const after = { proposal: policy };
    expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, after, put)).toBe('Allowed');
    for (const neighbour of [
      { ...put, resource: 'arn:aws:s3:::other-bucket/model_artifacts/x' },
      { ...put, resource: 'arn:aws:s3:::my-output-bucket/other-prefix/x' },
      { ...put, action: 's3:DeleteObject' },
      // A bucket of the same name owned by another account.
      { ...put, context: { 's3:ResourceAccount': '999988887777' } },
    ]) {
      expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, after, neighbour)).toBe('ImplicitlyDenied');
    }
  });

  it('describes a job the server knows when the event carries only its name', async () => {
    // Prepare: a training job created on the server, and an event without its configuration.
    await env.world.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'thin-event-job',
        RoleArn: ROLE_ARN,
        AlgorithmSpecification: {
          TrainingImage: `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/custom-trainer:2`,
          TrainingInputMode: 'File',
        },
        InputDataConfig: [
          {
            ChannelName: 'train',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://thin-bucket/data/train' } },
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://thin-bucket/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      }),
    );
    const event = {
      ...motoEvent('training-s3-input-access-denied.json'),
      detail: {
        TrainingJobName: 'thin-event-job',
        TrainingJobArn: `arn:aws:sagemaker:us-east-1:${MOTO_ACCOUNT}:training-job/thin-event-job`,
        TrainingJobStatus: 'Failed',
        FailureReason:
          'ClientError: Data download failed:Unable to download object s3://thin-bucket/data/train/a.csv (AccessDenied: Access Denied)',
      },
    };
    // Act
    await env.world.handler()(event);
    // Assess: resources come from the configuration the server described.
    const [delivered] = await env.world.delivered();
    expect(
      (delivered?.message.outcome.policy as { Statement: { Resource: string[] }[] }).Statement.flatMap(
        (s) => s.Resource,
      ),
    ).toEqual(['arn:aws:s3:::thin-bucket', 'arn:aws:s3:::thin-bucket/data/train/*']);
  });

  it('proposes PassRole for the caller of a denied CreateTrainingJob; repeated deliveries give one message', async () => {
    const handler = env.world.handler();
    const event = motoEvent('cloudtrail-createtrainingjob-passrole-denied.json');
    await handler(event);
    await handler(structuredClone(event));
    const delivered = await env.world.delivered();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.message.outcome).toMatchObject({
      roleName: 'DataScientist',
      policy: { Statement: [{ Action: ['iam:PassRole'], Resource: [ROLE_ARN] }] },
    });
  });

  it('runs through the real Lambda entry module, its clients created from the environment', async () => {
    process.env.TOPIC_ARN = env.world.topicArn;
    process.env.IDEMPOTENCY_TABLE_NAME = env.world.tableName;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const { handler } = await import('../../lambdas/remediator/handler.js');
    const { lambdaContext } = await import('../helpers/lambda.js');
    await expect(
      handler(motoEvent('training-kms-output-denied.json'), lambdaContext()),
    ).resolves.toMatchObject({ status: 'proposed' });
    expect((await env.world.delivered())[0]?.attributes.fixLocation).toBe('identity-policy');
  });
});

describe('auto-remediation', () => {
  it('attaches exactly the guard-approved policy in an allowed account, with a rollback command', async () => {
    // Act
    const result = await env.world.handler(AUTO)(motoEvent('training-kms-output-denied.json'));
    // Assess
    expect(result).toMatchObject({ status: 'applied', autoApply: { eligible: true, refusals: [] } });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        // An SSE-KMS output is written by multipart: S3 reads the data key back with kms:Decrypt.
        {
          Sid: 'Kms',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [OUTPUT_KEY],
        },
      ],
    };
    const policies = await env.world.inlinePolicies();
    expect(Object.values(policies).map((p) => lifecycleOf(p).untimed)).toEqual([policy]);
    const [name] = Object.keys(policies);
    expect(name).toBe('sagemaker-iam-remediator-grants');
    const [delivered] = await env.world.delivered();
    expect(delivered?.attributes.category).toBe('auto-remediation-applied');
    expect(delivered?.message.text).toContain(
      `sagemaker-iam-remediator grants revoke --role-name '${ROLE_NAME}' --policy-name '${name}'`,
    );
    // The oracle, on the policies read back from the server.
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      expect(
        await identityDecision(PRINCIPAL, MOTO_ACCOUNT, policies, { action, resource: OUTPUT_KEY }),
      ).toBe('Allowed');
    }
    for (const neighbour of [
      {
        action: 'kms:GenerateDataKey',
        resource: 'arn:aws:kms:us-east-1:999988887777:key/0987dcba-09fe-87dc-65ba-ab0987654321',
      },
      { action: 'kms:Encrypt', resource: OUTPUT_KEY },
    ]) {
      expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, policies, neighbour)).toBe('ImplicitlyDenied');
    }
  });

  it('applies for a role that opts in with its tag, without a name pattern', async () => {
    await env.moto.reset();
    env.world = await new World().create({
      roleTags: [{ Key: 'sagemaker-iam-remediator:auto', Value: 'true' }],
    });
    await env.world.handler({ ...AUTO, roleNamePatterns: [] })(motoEvent('training-kms-output-denied.json'));
    expect(Object.keys(await env.world.inlinePolicies())).toHaveLength(1);
  });

  it.each([
    [
      'an account not in allowedAccounts',
      { ...AUTO, allowedAccounts: ['999988887777'] },
      'training-kms-output-denied.json',
      /is not in allowedAccounts/,
    ],
    [
      'a role outside the patterns',
      { ...AUTO, roleNamePatterns: ['Other*'] },
      'training-kms-output-denied.json',
      /matches no roleNamePatterns/,
    ],
    [
      'an explicit deny in an SCP',
      AUTO,
      'training-scp-explicit-deny.json',
      /explicit deny is not lifted by an Allow/,
    ],
    ['auto-remediation switched off', {}, 'training-kms-output-denied.json', /auto-remediation is off/],
  ])('refuses %s and says why', async (_name, config, file, refusal) => {
    const result = await env.world.handler(config)(motoEvent(file));
    expect(result).toMatchObject({ status: 'proposed' });
    expect(await env.world.inlinePolicies()).toEqual({});
    const refusals = (result as Refusals).autoApply.refusals.map((r) => r.message).join('\n');
    expect(refusals).toMatch(refusal);
    if ('autoRemediate' in config) expect((await env.world.delivered())[0]?.message.text).toMatch(refusal);
  });

  const crafted = [
    ['iam:PutRolePolicy on its own role', `iam:PutRolePolicy on resource: ${ROLE_ARN}`, 'widens-privilege'],
    [
      'sts:AssumeRole into another account',
      'sts:AssumeRole on resource: arn:aws:iam::999988887777:role/Admin',
      'resource-not-from-job',
    ],
    [
      'GetObject on another bucket',
      's3:GetObject on resource: arn:aws:s3:::someone-elses-bucket/secrets.csv',
      'resource-not-from-job',
    ],
    [
      "another account's KMS key",
      'kms:Decrypt on resource: arn:aws:kms:us-east-1:999988887777:key/1111',
      'resource-not-from-job',
    ],
    ['s3:* on *', 's3:* on resource: *', 'nothing-applicable'],
  ] as const;
  it.each(crafted)('never applies a container-written request for %s', async (_name, request, refusal) => {
    // Prepare: the container writes the failure text (AlgorithmError), naming what it wants.
    const event = motoEvent('training-untrusted-failure-file.json');
    const reason = `AlgorithmError: ClientError: User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/${ROLE_NAME}/SageMaker is not authorized to perform: ${request} because no identity-based policy allows the action`;
    (event.detail as Record<string, unknown>).FailureReason = reason;
    // Act
    const result = await env.world.handler(AUTO)(event);
    // Assess
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(result).toMatchObject({ status: 'proposed', autoApply: { eligible: false } });
    expect(refusalCodes(result)).toEqual(expect.arrayContaining(['untrusted-text', refusal]));
    expect((await env.world.delivered())[0]?.message.text).toContain('Auto-remediation refused');
  });

  it('turns a duplicate delivery of the same event into one proposal and one policy', async () => {
    const handler = env.world.handler(AUTO);
    const event = motoEvent('training-kms-output-denied.json');
    const first = await handler(event);
    const second = await handler(structuredClone(event));
    expect(second).toEqual(first);
    expect(await env.world.delivered()).toHaveLength(1);
    expect(Object.keys(await env.world.inlinePolicies())).toHaveLength(1);
  });

  it("refuses to attach when the role's inline policies would exceed IAM's aggregate limit", async () => {
    // Prepare: an existing inline policy of ~10,000 characters (white space does not count).
    const resources = Array.from(
      { length: 273 },
      (_, i) => `arn:aws:s3:::existing-bucket-${String(i).padStart(3, '0')}/*`,
    );
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }],
    });
    expect(big.length).toBeGreaterThan(10_100);
    expect(big.length).toBeLessThan(10_240);
    await env.world.iam.send(
      new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'existing', PolicyDocument: big }),
    );
    // Act
    const result = await env.world.handler(AUTO)(motoEvent('training-kms-output-denied.json'));
    // Assess
    expect(result).toMatchObject({ status: 'proposed', autoApply: { eligible: true, outcome: 'too-large' } });
    expect(Object.keys(await env.world.inlinePolicies())).toEqual(['existing']);
    expect((await env.world.delivered())[0]?.message.text).toMatch(
      /inline policies would total \d+ characters \(limit 10240\)/,
    );
  });

  it('logs instead of attaching in dry-run mode', async () => {
    const result = await env.world.handler({ ...AUTO, dryRun: true })(
      motoEvent('training-kms-output-denied.json'),
    );
    expect(result).toMatchObject({ status: 'proposed', autoApply: { eligible: true, outcome: 'dry-run' } });
    expect(await env.world.inlinePolicies()).toEqual({});
  });
});

describe('issue 8: the real handler applies only what the operator declared and the job implies', () => {
  const INPUT_OBJECT = 'arn:aws:s3:::my-training-bucket/training_data/train/part-0.csv';
  const denial = (action: string, resource: string, prefix = 'ClientError: ') =>
    `${prefix}${DENIED_BY} ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

  it.each([
    ['AlgorithmError: ', ['untrusted-text', 'action-does-not-fit-role']],
    ['ClientError: ', ['action-does-not-fit-role']],
  ])(
    'reproduction 2: text starting %j cannot make the role overwrite its training data',
    async (prefix, codes) => {
      // Act
      const result = await env.world.handler(AUTO)(eventWith(denial('s3:PutObject', INPUT_OBJECT, prefix)));
      // Assess
      expect(await env.world.inlinePolicies()).toEqual({});
      expect(result).toMatchObject({ status: 'proposed', autoApply: { eligible: false } });
      expect(refusalCodes(result)).toEqual(expect.arrayContaining(codes));
    },
  );

  it('reproduction 3: kms:CreateGrant is attached only with kms:GrantIsForAWSResource', async () => {
    // Act
    const result = await env.world.handler(AUTO)(eventWith(denial('kms:CreateGrant', OUTPUT_KEY)));
    // Assess
    expect(result).toMatchObject({ status: 'applied' });
    const policies = await env.world.inlinePolicies();
    expect(Object.values(policies).map((p) => lifecycleOf(p).untimed)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Kms',
            Effect: 'Allow',
            Action: ['kms:CreateGrant'],
            Resource: [OUTPUT_KEY],
            Condition: { Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
          },
        ],
      },
    ]);
    const grant = { action: 'kms:CreateGrant', resource: OUTPUT_KEY };
    const forService = { ...grant, context: { 'kms:GrantIsForAWSResource': 'true' } };
    expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, policies, forService)).toBe('Allowed');
    expect(await identityDecision(PRINCIPAL, MOTO_ACCOUNT, policies, grant)).toBe('ImplicitlyDenied');
  });

  it('reproduction 4: a bucket the job names is granted only when the operator declared it', async () => {
    // Prepare: whoever starts a job names a production bucket as its input.
    const event = JSON.parse(
      JSON.stringify(
        eventWith(
          `ClientError: Data download failed: ${DENIED_BY} s3:GetObject on resource: arn:aws:s3:::payments-prod-ledger/exports/2026.csv because no identity-based policy allows the s3:GetObject action`,
        ),
      ).replace(
        '"S3Uri":"s3://my-training-bucket/training_data/train"',
        '"S3Uri":"s3://payments-prod-ledger/exports"',
      ),
    ) as Record<string, unknown>;
    // Act: the default declares only the SageMaker default bucket.
    const refused = await env.world.handler({ ...AUTO, resourcePatterns: undefined })(event);
    // Assess
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(refusalCodes(refused)).toContain('resource-not-declared');
    expect((await env.world.delivered())[0]?.message.text).toMatch(
      /payments-prod-ledger\/exports\/\* matches no declared resource pattern \[resource-not-declared\]/,
    );
  });

  it('reproduction 5: a foreign bucket in the text is not replaced by the job input and not applied', async () => {
    // Act
    const result = await env.world.handler({ ...AUTO, resourcePatterns: ['*'] })(
      eventWith(
        `ClientError: Data download failed: ${DENIED_BY} s3:GetObject on resource: arn:aws:s3:::other-team-bucket/data/x.csv because no identity-based policy allows the s3:GetObject action`,
      ),
    );
    // Assess
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(refusalCodes(result)).toContain('resource-not-from-job');
    const [delivered] = await env.world.delivered();
    const resources = (
      delivered?.message.outcome.policy as { Statement: { Resource: string[] }[] }
    ).Statement.flatMap((s) => s.Resource);
    expect(resources).toContain('arn:aws:s3:::other-team-bucket/data/*');
    expect(resources.join()).not.toContain('my-training-bucket');
  });

  it("reproduction 7: a CloudTrail-recorded denial is never applied, even of the execution role's own call", async () => {
    // Prepare: the execution role made the call (Studio), and a request parameter names every key.
    const event = motoEvent('cloudtrail-createtrainingjob-passrole-denied.json');
    const detail = event.detail as {
      requestParameters: { resourceConfig: Record<string, unknown> };
      errorMessage: string;
    };
    detail.requestParameters.resourceConfig.volumeKmsKeyId = '*';
    detail.errorMessage = `${DENIED_BY.replace('/SageMaker ', '/studio ')} kms:CreateGrant on resource: arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/* because no identity-based policy allows the kms:CreateGrant action`;
    // Act
    const result = await env.world.handler({ ...AUTO, resourcePatterns: ['*'] })(event);
    // Assess
    expect(await env.world.inlinePolicies()).toEqual({});
    expect(result).toMatchObject({ autoApply: { eligible: false } });
    expect(refusalCodes(result)).toContain('api-call-origin');
    expect(JSON.stringify((await env.world.delivered())[0]?.message.outcome.policy ?? null)).not.toContain(
      'key/*',
    );
  });

  it('reproduction 8: a wildcard the container wrote reaches neither the policy nor the command', async () => {
    // Act
    await env.world.handler(AUTO)(
      eventWith(
        denial('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:*:*:secret:*', 'AlgorithmError: '),
      ),
    );
    // Assess
    expect(await env.world.inlinePolicies()).toEqual({});
    const [delivered] = await env.world.delivered();
    expect(JSON.stringify(delivered?.message.outcome.policy)).not.toContain('secret:*');
    expect(delivered?.message.text).not.toMatch(/put-role-policy[^\n]*secret:\*/);
  });
});

/** The slice of the SDK's HTTP handler interface a wrapper needs. */
interface RequestHandler {
  handle(request: { body?: unknown }, options?: unknown): Promise<{ response: unknown }>;
}

/**
 * An IAM client whose transport is the SDK's own, wrapped: `intercept` sees each request and may
 * answer in its place. This is the fault injection; everything else reaches the real server.
 */
function iamClientWith(
  intercept: (body: string, send: () => Promise<{ response: unknown }>) => Promise<{ response: unknown }>,
  maxAttempts: number = CLIENT_RETRY.maxAttempts,
) {
  const inner = new IAMClient({}).config.requestHandler as unknown as RequestHandler;
  const requestHandler = {
    handle: (request: { body?: unknown }, options?: unknown) =>
      intercept(typeof request.body === 'string' ? request.body : '', () => inner.handle(request, options)),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return new IAMClient({ ...CLIENT_RETRY, maxAttempts, requestHandler: requestHandler as never });
}

/** Answers the first `failures` matching IAM requests with an HTTP `status` error of that `code`. */
function flakyIam(
  matches: (body: string) => boolean,
  failures: number,
  status = 503,
  code = 'ServiceUnavailable',
) {
  const seen = { failed: 0, attempts: 0 };
  const client = iamClientWith(async (body, send) => {
    if (!matches(body)) return send();
    seen.attempts += 1;
    if (seen.failed >= failures) return send();
    seen.failed += 1;
    const xml = `<ErrorResponse><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>injected</Message></Error><RequestId>1</RequestId></ErrorResponse>`;
    return {
      response: {
        statusCode: status,
        reason: 'injected',
        headers: { 'content-type': 'text/xml' },
        body: Readable.from([xml]),
      },
    };
  });
  return { client, seen };
}

describe('faults', () => {
  it('fails the invocation when SNS publish fails, so the event is retried and ends in the DLQ', async () => {
    const handler = env.world.handler({ topicArn: `arn:aws:sns:us-east-1:${MOTO_ACCOUNT}:no-such-topic` });
    await expect(handler(motoEvent('training-s3-output-access-denied.json'))).rejects.toThrow(
      /not exist|NotFound/i,
    );
    // The idempotency record is released on failure: the retry runs in full.
    await expect(
      env.world.handler()(motoEvent('training-s3-output-access-denied.json')),
    ).resolves.toMatchObject({
      status: 'proposed',
    });
  });

  it('retries IAM 5xx answers with backoff and then succeeds', async () => {
    const { client, seen } = flakyIam((body) => body.includes('Action=PutRolePolicy'), 2);
    const result = await env.world.handler(AUTO, { iam: client })(
      motoEvent('training-kms-output-denied.json'),
    );
    expect(result).toMatchObject({ status: 'applied' });
    expect(seen).toEqual({ failed: 2, attempts: 3 });
    expect(Object.keys(await env.world.inlinePolicies())).toHaveLength(1);
  });

  it('fails the invocation on a transient PutRolePolicy failure, leaves nothing behind, and applies on redelivery', async () => {
    // Prepare: IAM answers 500 to every PutRolePolicy, past the client's own retries.
    const { client, seen } = flakyIam((body) => body.includes('Action=PutRolePolicy'), 100, 500);
    const event = motoEvent('training-kms-output-denied.json');
    // Act: the first delivery fails; Lambda redelivers the same event once IAM is back.
    await expect(env.world.handler(AUTO, { iam: client })(event)).rejects.toThrow(/injected/);
    const redelivered = await env.world.handler(AUTO)(structuredClone(event));
    // Assess: nothing was cached as the event's result, and the redelivery attached the fix.
    expect(seen.attempts).toBe(CLIENT_RETRY.maxAttempts);
    expect(redelivered).toMatchObject({ status: 'applied' });
    expect(Object.keys(await env.world.inlinePolicies())).toHaveLength(1);
  });

  it('reports a permanent PutRolePolicy refusal as the result, and still sends the proposal', async () => {
    const { client, seen } = flakyIam(
      (body) => body.includes('Action=PutRolePolicy'),
      100,
      403,
      'AccessDenied',
    );
    const event = motoEvent('training-kms-output-denied.json');
    const result = await env.world.handler(AUTO, { iam: client })(event);
    expect(result).toMatchObject({ status: 'proposed', autoApply: { outcome: 'failed' } });
    expect(seen.attempts).toBe(1);
    expect(await env.world.inlinePolicies()).toEqual({});
    expect((await env.world.delivered())[0]?.message.text).toContain(
      'Auto-remediation failed and changed nothing',
    );
    // The refusal is the event's result: a duplicate delivery gets it back and changes nothing.
    await expect(env.world.handler(AUTO)(structuredClone(event))).resolves.toEqual(result);
    expect(await env.world.inlinePolicies()).toEqual({});
  });

  it('a policy written before a failure is removed again', async () => {
    // PutRolePolicy succeeds on the server but its answer is lost: the cleanup deletes the fix.
    const client = iamClientWith(async (body, send) => {
      const answer = await send();
      if (body.includes('Action=PutRolePolicy')) throw new Error('connection reset');
      return answer;
    }, 1);
    await expect(
      env.world.handler(AUTO, { iam: client })(motoEvent('training-kms-output-denied.json')),
    ).rejects.toThrow(/connection reset/);
    expect(await env.world.inlinePolicies()).toEqual({});
    // Sanity: the server really accepts such a policy when nothing fails.
    await env.world.iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE_NAME,
        PolicyName: 'probe',
        PolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}',
      }),
    );
    expect(Object.keys(await env.world.inlinePolicies())).toEqual(['probe']);
  });
});

describe('with IAM enforced by the server', () => {
  it('a denied GetObject of the job role succeeds after the remediator runs; another bucket stays denied', async () => {
    // Prepare (enforcement off): an administrator, the job's data, and a bucket the job has no business in.
    const admin = ADMIN_USER;
    await env.world.iam.send(new CreateUserCommand({ UserName: admin }));
    await env.world.iam.send(
      new PutUserPolicyCommand({
        UserName: admin,
        PolicyName: 'admin',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const { AccessKey } = await env.world.iam.send(new CreateAccessKeyCommand({ UserName: admin }));
    const s3 = new S3Client({ forcePathStyle: true });
    const key = 'training_data/train/part-00000.csv';
    for (const bucket of ['my-training-bucket', 'other-bucket']) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'label,feature\n1,2\n' }));
    }
    const adminCredentials = {
      accessKeyId: AccessKey?.AccessKeyId ?? '',
      secretAccessKey: AccessKey?.SecretAccessKey ?? '',
    };
    await env.moto.enforceIam(true);
    try {
      const { Credentials } = await new STSClient({ credentials: adminCredentials }).send(
        new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'SageMaker' }),
      );
      const asJobRole = new S3Client({
        forcePathStyle: true,
        credentials: {
          accessKeyId: Credentials?.AccessKeyId ?? '',
          secretAccessKey: Credentials?.SecretAccessKey ?? '',
          sessionToken: Credentials?.SessionToken,
        },
      });
      const read = (bucket: string) => asJobRole.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await expect(read('my-training-bucket')).rejects.toMatchObject({ name: 'AccessDenied' });

      // Act: the failure SageMaker reports for that denial, handled with the administrator's credentials.
      const event = motoEvent('training-s3-input-access-denied.json');
      (event.detail as Record<string, unknown>).FailureReason =
        `ClientError: Data download failed: User: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/${ROLE_NAME}/SageMaker is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-training-bucket/${key}" because no identity-based policy allows the s3:GetObject action`;
      const remediator = new World();
      Object.assign(remediator, { topicArn: env.world.topicArn, queueUrl: env.world.queueUrl });
      for (const client of [remediator.iam, remediator.sns, remediator.sagemaker, remediator.dynamodb]) {
        client.config.credentials = async () => adminCredentials;
      }
      const result = await remediator.handler(AUTO)(event);

      // Assess: the same assumed credentials now read the input, and nothing else.
      expect(result).toMatchObject({ status: 'applied' });
      const object = await read('my-training-bucket');
      expect(await object.Body?.transformToString()).toBe('label,feature\n1,2\n');
      await expect(read('other-bucket')).rejects.toMatchObject({ name: 'AccessDenied' });
    } finally {
      await env.moto.enforceIam(false);
    }
  });
});
