/**
 * Fixes where the block lives (issue 18): a cross-account image, bucket and key each get a statement
 * for the resource's own policy. The merge is applied on the moto server (ECR and S3: read the current
 * policy, merge, write, read back), and the request is then decided by @cloud-copilot/iam-simulate
 * with the proposal's identity policy and the merged resource policy: denied before, allowed after.
 */
import {
  CreateRepositoryCommand,
  ECRClient,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { FixProposal } from '../../lambdas/core/index.js';
import { analyse } from '../../lambdas/core/index.js';
import type { ReadPolicy, ResourcePolicyFix } from '../../lambdas/core/resource-policy.js';
import { mergeStatement } from '../../lambdas/core/resource-policy.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { requestDecision } from '../support/oracle.js';

useMotoWorld({ withWorld: false });

const JOB_ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${JOB_ACCOUNT}:role/SageMakerExecRole`;
const SESSION = `arn:aws:sts::${JOB_ACCOUNT}:assumed-role/SageMakerExecRole/SageMaker`;

/** A statement the resource's owner already has: merging must keep it. */
const OWNER_STATEMENT = {
  Sid: 'OwnerKeepsThis',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` },
  Action: 'ecr:BatchGetImage',
};

const proposalOf = (text: string): FixProposal => {
  const outcome = analyse(text);
  if (outcome.kind !== 'permission') throw new Error(`not a permission diagnosis: ${text}`);
  return outcome.proposal;
};

const onlyFixOf = (proposal: FixProposal): ResourcePolicyFix => {
  const [fix, ...others] = proposal.resourcePolicies;
  if (!fix || others.length > 0)
    throw new Error(`expected one resource-policy fix, got ${proposal.resourcePolicies.length}`);
  return fix;
};

const identityPolicies = (proposal: FixProposal): Record<string, unknown> =>
  proposal.policy ? { proposed: proposal.policy } : {};

describe('a resource in another account gets a statement for its own policy, merged, never overwritten', () => {
  it('an image in another account: the repository policy allows the role, merged on moto', async () => {
    // Prepare
    const ecr = new ECRClient({});
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'private-serving' }));
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'private-serving',
        policyText: JSON.stringify({ Version: '2012-10-17', Statement: [OWNER_STATEMENT] }),
      }),
    );
    const repository = `arn:aws:ecr:us-east-1:${MOTO_ACCOUNT}:repository/private-serving`;
    const proposal = proposalOf(
      `UnexpectedStatusException: Error hosting endpoint ep-1: Failed. Reason: The role '${ROLE}' does not have BatchGetImage permission for the image: '${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/private-serving:1.0'.`,
    );
    const fix = onlyFixOf(proposal);
    const request = { action: 'ecr:BatchGetImage', resource: repository, resourceAccount: MOTO_ACCOUNT };
    const current = JSON.parse(
      (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'private-serving' }))).policyText ??
        '',
    ) as ReadPolicy;
    const before = await requestDecision(ROLE, identityPolicies(proposal), current, request);
    // Act
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'private-serving',
        policyText: JSON.stringify(mergeStatement(current, fix.statement)),
      }),
    );
    const merged = JSON.parse(
      (await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'private-serving' }))).policyText ??
        '',
    ) as { Statement: { Sid: string }[] };
    // Assess
    expect(fix).toMatchObject({ kind: 'ecr-repository-policy', resourceArn: repository });
    expect(fix.statement.Principal).toEqual({ AWS: ROLE });
    expect(fix.commands.join('\n')).toMatch(
      /^aws ecr get-repository-policy .*\n.*\njq .*\naws ecr set-repository-policy/,
    );
    expect(merged.Statement.map((s) => s.Sid)).toEqual(['OwnerKeepsThis', fix.statement.Sid]);
    expect(before).not.toBe('Allowed');
    expect(await requestDecision(ROLE, identityPolicies(proposal), merged, request)).toBe('Allowed');
  });

  it('a bucket whose policy denies: the bucket policy allows the role on the object, merged on moto', async () => {
    // Prepare
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'other-team-bucket' }));
    const ownerStatement = {
      Sid: 'OwnerKeepsThis',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::other-team-bucket/*',
    };
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'other-team-bucket',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ownerStatement] }),
      }),
    );
    const proposal = proposalOf(
      `An error occurred (AccessDenied) when calling the GetObject operation: User: ${SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::other-team-bucket/data/train.csv" because no resource-based policy allows the s3:GetObject action`,
    );
    const fix = onlyFixOf(proposal);
    const request = {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::other-team-bucket/data/train.csv',
      resourceAccount: MOTO_ACCOUNT,
    };
    const current = JSON.parse(
      (await s3.send(new GetBucketPolicyCommand({ Bucket: 'other-team-bucket' }))).Policy ?? '',
    ) as ReadPolicy;
    const before = await requestDecision(ROLE, {}, current, request);
    // Act
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'other-team-bucket',
        Policy: JSON.stringify(mergeStatement(current, fix.statement)),
      }),
    );
    const merged = JSON.parse(
      (await s3.send(new GetBucketPolicyCommand({ Bucket: 'other-team-bucket' }))).Policy ?? '',
    ) as { Statement: { Sid: string }[] };
    // Assess
    expect(fix).toMatchObject({ kind: 's3-bucket-policy', resourceArn: 'arn:aws:s3:::other-team-bucket' });
    expect(fix.commands.join('\n')).toMatch(
      /^aws s3api get-bucket-policy .*\n.*\njq .*\naws s3api put-bucket-policy/,
    );
    expect(merged.Statement.map((s) => s.Sid)).toEqual(['OwnerKeepsThis', fix.statement.Sid]);
    expect(before).not.toBe('Allowed');
    // The resource policy alone grants a cross-account principal nothing: the role needs its own Allow too.
    const identity = {
      own: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
    };
    expect(await requestDecision(ROLE, identity, merged, request)).toBe('Allowed');
  });

  it('a key in another account: the key policy allows the role, decided by the simulator', async () => {
    // Prepare: the default key policy KMS writes, which lets only the key's own account in.
    const key = `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const defaultKeyPolicy = {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    };
    const proposal = proposalOf(
      `ClientError: Data download failed: User: ${SESSION} is not authorized to perform: kms:Decrypt on resource: ${key}`,
    );
    const fix = onlyFixOf(proposal);
    const request = { action: 'kms:Decrypt', resource: key, resourceAccount: MOTO_ACCOUNT };
    // Act
    const merged = mergeStatement(defaultKeyPolicy, fix.statement);
    // Assess
    expect(fix).toMatchObject({ kind: 'kms-key-policy', resourceArn: key });
    expect(fix.commands.join('\n')).toMatch(/^aws kms get-key-policy .*\njq .*\naws kms put-key-policy/);
    expect(merged.Id).toBe('key-default-1');
    expect(merged.Statement.map((s) => (s as { Sid: string }).Sid)).toEqual([
      'Enable IAM User Permissions',
      fix.statement.Sid,
    ]);
    expect(await requestDecision(ROLE, identityPolicies(proposal), defaultKeyPolicy, request)).not.toBe(
      'Allowed',
    );
    expect(await requestDecision(ROLE, identityPolicies(proposal), merged, request)).toBe('Allowed');
  });
});
