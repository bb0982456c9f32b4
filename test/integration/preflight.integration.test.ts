/**
 * Pre-flight against a real evaluator: the role lives on the moto server, and SimulatePrincipalPolicy
 * (which moto lacks) is answered from its policies by @cloud-copilot/iam-simulate through the
 * test-only answerer in front of moto. No stubs: the check reads what the server holds.
 */
import { readFileSync } from 'node:fs';
import {
  CreatePolicyCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateRepositoryCommand, ECRClient, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, PutBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightOnSubmission } from '../../lambdas/preflight/on-submission.js';
import { submittedTrainingJob } from '../helpers/fixtures.js';
import type { RequiredPermission } from '../../lambdas/core/preflight.js';
import {
  jobToCheck,
  offlineUnchecked,
  PREDICTIONS,
  requiredPermissions,
} from '../../lambdas/core/preflight.js';
import { policyFromGrants } from '../../lambdas/core/propose.js';
import { checkJob } from '../../lambdas/preflight/check.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import {
  createLambdaOnlyRole,
  LAMBDA_ONLY_ROLE_NAME,
  submitTrainingJob,
} from '../support/untrusting-role.js';
import { useMotoWorld } from '../support/moto-world.js';
import type { SimulateAnswerer } from '../support/simulate-answerer.js';
import { startSimulateAnswerer } from '../support/simulate-answerer.js';
import { ROLE_ARN, ROLE_NAME } from '../support/world.js';

const env = useMotoWorld();
let answerer: SimulateAnswerer;
let iam: IAMClient;
beforeAll(async () => {
  answerer = await startSimulateAnswerer(env.moto.endpoint);
  iam = new IAMClient({ endpoint: answerer.endpoint });
});
afterAll(async () => answerer.stop());

/** The bundled example job, moved into moto's account. */
const job = jobToCheck(
  JSON.parse(
    readFileSync(new URL('../../examples/jobs/training-job.json', import.meta.url), 'utf8').replaceAll(
      '111122223333',
      MOTO_ACCOUNT,
    ),
  ),
);
const required = requiredPermissions(job);
const OUTPUT_WRITE = 'arn:aws:s3:::my-output-bucket/model_artifacts/*';

/** An identity policy granting exactly the given requirements. */
const policyFor = (requirements: readonly RequiredPermission[]) =>
  JSON.stringify(
    policyFromGrants(
      requirements
        .filter((r) => r.channel !== 'trust')
        .map((r) => ({
          channel: r.channel,
          grant: {
            actions: [r.action],
            resources: [r.resource],
            condition: r.condition,
            resourceSource: 'job' as const,
          },
        })),
    ),
  );

const s3 = () => new S3Client({ endpoint: answerer.endpoint, forcePathStyle: true });

/** The example job's buckets, without a default encryption configuration. */
async function createBuckets(client: S3Client) {
  for (const Bucket of ['my-training-bucket', 'my-code-bucket', 'my-output-bucket'])
    await client.send(new CreateBucketCommand({ Bucket }));
}

const grant = (name: string, document: string) =>
  env.world.iam.send(
    new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: name, PolicyDocument: document }),
  );

describe('pre-flight on the local server', () => {
  it('predicts that a role missing output write will fail, and passes once the proposed policy is added', async () => {
    // Prepare: everything the job needs but the output write.
    await grant('most', policyFor(required.filter((r) => r.resource !== OUTPUT_WRITE)));
    await createBuckets(s3());
    // Act
    const before = await checkJob(job, { iam, s3: s3() });
    // Assess
    expect(before).toMatchObject({ prediction: PREDICTIONS.willFail, definite: false, unchecked: [] });
    expect(before.proposal?.title).toBe(
      'xgb-churn-2026-11-27: this job will fail: SageMakerExecRole needs 2 permission(s)',
    );
    expect(before.proposal?.policy?.Statement).toEqual([
      {
        Sid: 'Output',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: [OUTPUT_WRITE],
        Condition: { StringEquals: { 's3:ResourceAccount': ['123456789012'] } },
      },
    ]);
    expect(answerer.answered()).toBeGreaterThan(10);

    // Act: apply exactly the proposed policy, as its command would.
    await grant(before.proposal?.policyName ?? '', JSON.stringify(before.proposal?.policy));
    const after = await checkJob(job, { iam, s3: s3() });
    // Assess
    expect(after).toMatchObject({ prediction: PREDICTIONS.willPass, definite: false, unchecked: [] });
    expect(after.proposal).toBeUndefined();
  });

  it('reads s3:prefix: a listing allowed for one input channel only fails for the other', async () => {
    // Prepare: ListBucket only under training_data/train.
    const narrowed = required.map((r) =>
      r.action === 's3:ListBucket' && r.resource === 'arn:aws:s3:::my-training-bucket'
        ? {
            ...r,
            condition: { StringLike: { 's3:prefix': ['training_data/train', 'training_data/train/*'] } },
          }
        : r,
    );
    await grant('narrow', policyFor(narrowed));
    // Act
    const report = await checkJob(job, { iam });
    // Assess
    expect(report.prediction).toBe(PREDICTIONS.willFail);
    expect(report.proposal?.policy?.Statement).toEqual([
      expect.objectContaining({
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::my-training-bucket'],
      }),
    ]);
  });

  it("an explicit deny in an SCP is definite and names where it lives; a boundary gap is the boundary owner's", async () => {
    // Prepare
    await grant('all', policyFor(required));
    answerer.serviceControlPolicies = [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: '*', Resource: '*' },
          { Effect: 'Deny', Action: 'kms:CreateGrant', Resource: '*' },
        ],
      },
    ];
    try {
      // Act
      const report = await checkJob(job, { iam });
      // Assess
      expect(report).toMatchObject({
        prediction: PREDICTIONS.willFail,
        definite: true,
        proposal: { fixLocation: 'scp' },
      });
      expect(report.proposal?.policy).toBeUndefined();
      expect(report.proposal?.advice[0]).toMatch(/^Explicit deny of kms:CreateGrant on .* in scp/);
    } finally {
      answerer.serviceControlPolicies = [];
    }
    // Prepare: a boundary that allows S3 only.
    const { Policy } = await env.world.iam.send(
      new CreatePolicyCommand({
        PolicyName: 's3-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    await env.world.iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: ROLE_NAME, PermissionsBoundary: Policy?.Arn }),
    );
    // Act
    const bounded = await checkJob(job, { iam });
    // Assess
    expect(bounded).toMatchObject({
      prediction: PREDICTIONS.willFail,
      proposal: { fixLocation: 'permissions-boundary' },
    });
    expect(bounded.proposal?.advice.join('\n')).toContain("the role's permissions boundary blocks it");
  });

  it('a trust policy that does not let SageMaker assume the role is a definite failure', async () => {
    // Prepare
    const other = { ...job, roleArn: await createLambdaOnlyRole(env.world) };
    await env.world.iam.send(
      new PutRolePolicyCommand({
        RoleName: LAMBDA_ONLY_ROLE_NAME,
        PolicyName: 'all',
        PolicyDocument: policyFor(requiredPermissions(other)),
      }),
    );
    // Act
    const report = await checkJob(other, { iam });
    // Assess
    expect(report).toMatchObject({
      prediction: PREDICTIONS.willFail,
      definite: true,
      proposal: { fixLocation: 'trust-policy' },
    });
    expect(report.proposal?.advice.join('\n')).toContain('must allow sagemaker.amazonaws.com');
  });

  it('without the answerer, moto cannot simulate: the result is unverifiable, never a failure', async () => {
    // Act: the SDK pointed at moto itself, which answers SimulatePrincipalPolicy with HTTP 500.
    const report = await checkJob(job, {
      iam: new IAMClient({ endpoint: env.moto.endpoint, maxAttempts: 1 }),
    });
    // Assess
    expect(report).toMatchObject({ prediction: PREDICTIONS.unverifiable, definite: false });
    expect(report.unchecked.join('\n')).toContain('SimulatePrincipalPolicy failed');
  });
});

describe('pre-flight on submission (the stack function)', () => {
  const submitted = (jobName: string, roleArn: string) =>
    submittedTrainingJob(jobName, roleArn, MOTO_ACCOUNT);
  const deps = (stopOnPreflightFailure: boolean) => ({
    home: { accountId: MOTO_ACCOUNT, region: 'us-east-1' },
    iam,
    sagemaker: env.world.sagemaker,
    sns: env.world.sns,
    config: { topicArn: env.world.topicArn, stopOnPreflightFailure },
    logger: new Logger({ serviceName: 'integration', logLevel: 'SILENT' }),
  });

  it('publishes "this job will fail" with the fix, and does not stop an uncertain failure', async () => {
    // Prepare: the role lacks everything; the job is only checked, never stopped.
    const event = submitted('xgb-submitted-1', ROLE_ARN);
    // Act
    const result = await preflightOnSubmission(event, deps(true));
    // Assess
    expect(result).toMatchObject({ status: 'checked', prediction: PREDICTIONS.willFail, stopped: false });
    const [delivered] = await env.world.delivered();
    expect(delivered?.subject).toMatch(
      // The resources come from the CreateTrainingJob request, which its caller wrote.
      /^\[untrusted request\] xgb-submitted-1 will fail: role SageMakerExecRole lacks /,
    );
    // Verdict first, the warning right after it.
    expect(delivered?.message.text.split('\n')[0]).toMatch(
      /^Training job xgb-submitted-1 in account \d{12}, region [a-z0-9-]+ will fail: role SageMakerExecRole lacks /,
    );
    expect(delivered?.message.text.split('\n')[1]).toMatch(/^WARNING: untrusted request\./);
    expect(delivered?.message.text).toContain("aws iam put-role-policy --role-name 'SageMakerExecRole'");
    expect(delivered?.message.text).toContain(
      'The job was not stopped: stopOnPreflightFailure stops only a certain failure',
    );
  });

  it('with stopOnPreflightFailure, tries to stop a job whose role SageMaker cannot assume, and says what happened', async () => {
    // Prepare: a role that trusts Lambda only, and the submitted job on the server.
    const roleArn = await createLambdaOnlyRole(env.world);
    const jobName = 'xgb-submitted-2';
    await submitTrainingJob(env.world, jobName, roleArn);
    // Act
    const result = await preflightOnSubmission(submitted(jobName, roleArn), deps(true));
    // Assess
    // moto does not implement StopTrainingJob: the attempt is made, and its failure is reported.
    expect(result).toMatchObject({ prediction: PREDICTIONS.willFail, stopped: false });
    const [delivered] = await env.world.delivered();
    expect(delivered?.message.text).toContain('Stopping the job failed:');
    expect(delivered?.message.text).toContain('must allow sagemaker.amazonaws.com');
  });
});

describe('pre-flight looks up what the request cannot name', () => {
  const MEMBER = '222233334444';
  const INPUT_KEY = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/5555eeee-55ee-55ee-55ee-5555eeee5555`;
  /** Clients of moto's second account, as its own administrator. */
  async function memberClients() {
    const sts = new STSClient({});
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'member-admin',
      }),
    );
    const credentials = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    };
    return { ecr: new ECRClient({ credentials }) };
  }

  it("requires kms:Decrypt on an input bucket's default key, and reports another account's bucket as unknown", async () => {
    // Prepare: the training bucket encrypts by default with a customer managed key; the code bucket
    // belongs to another account; the role has everything the request itself names.
    await grant('all', policyFor(required));
    const client = s3();
    await createBuckets(client);
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket: 'my-training-bucket',
        ServerSideEncryptionConfiguration: {
          Rules: [
            { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: INPUT_KEY } },
          ],
        },
      }),
    );
    answerer.bucketOwners = { 'my-code-bucket': MEMBER };
    try {
      // Act
      const report = await checkJob(job, { iam, s3: client });
      // Assess
      expect(report.required).toContainEqual(
        expect.objectContaining({
          action: 'kms:Decrypt',
          resource: INPUT_KEY,
          why: `uses the input key ${INPUT_KEY} (the default encryption of bucket my-training-bucket)`,
        }),
      );
      expect(report.prediction).toBe(PREDICTIONS.willFail);
      expect(report.proposal?.policy?.Statement).toEqual([
        expect.objectContaining({ Action: ['kms:Decrypt'], Resource: [INPUT_KEY] }),
      ]);
      expect(report.unchecked).toEqual([
        expect.stringMatching(
          /^the default encryption of bucket my-code-bucket could not be read \(AccessDenied\): if the bucket is in another account/,
        ),
      ]);
    } finally {
      answerer.bucketOwners = {};
    }
  });

  it("decides a cross-account image by its repository's policy, read from the other account", async () => {
    // Prepare: the image lives in the member account's registry; the role has every permission.
    const image = `${MEMBER}.dkr.ecr.us-east-1.amazonaws.com/shared-trainer:1`;
    const crossAccount = {
      ...job,
      images: [image],
      s3Locations: [],
      kmsKeys: [],
      subnets: [],
      securityGroups: [],
    };
    await grant('all', policyFor(requiredPermissions(crossAccount)));
    const { ecr } = await memberClients();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'shared-trainer' }));
    const repositoryPolicy = (principal: string) =>
      ecr.send(
        new SetRepositoryPolicyCommand({
          repositoryName: 'shared-trainer',
          policyText: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'Pull',
                Effect: 'Allow',
                Principal: { AWS: principal },
                Action: [
                  'ecr:BatchGetImage',
                  'ecr:GetDownloadUrlForLayer',
                  'ecr:BatchCheckLayerAvailability',
                ],
              },
            ],
          }),
        }),
      );
    const clients = { iam, ecr: new ECRClient({ endpoint: answerer.endpoint }) };
    await repositoryPolicy(`arn:aws:iam::${MEMBER}:root`);
    // Act
    const denied = await checkJob(crossAccount, clients);
    // Assess: the repository policy does not name the role's account.
    expect(denied.unchecked).toEqual([]);
    expect(denied.prediction).toBe(PREDICTIONS.willFail);
    expect(denied.proposal?.title).toContain('this job will fail');
    // Act: the repository's owner allows the role.
    await repositoryPolicy(ROLE_ARN);
    const allowed = await checkJob(crossAccount, clients);
    // Assess
    expect(allowed).toMatchObject({ prediction: PREDICTIONS.willPass, unchecked: [] });
  });

  it('says offline that a cross-account image needs its repository policy', () => {
    // Act
    const lines = offlineUnchecked({
      ...job,
      images: [`${MEMBER}.dkr.ecr.us-east-1.amazonaws.com/shared-trainer:1`],
    });
    // Assess
    expect(lines).toEqual([
      expect.stringContaining(
        `is in account ${MEMBER}: the policy of its repository shared-trainer must allow ${ROLE_ARN}`,
      ),
    ]);
    expect(offlineUnchecked(job)).toEqual([]);
  });
});
