/**
 * The resource-policy part of a proposal (issue 18): who the statement is for, that merging keeps the
 * owner's statements and is idempotent, and that the jq command the operator runs merges exactly as
 * mergeStatement does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certaintyOf } from '../../lambdas/core/certainty.js';
import type { FixProposal } from '../../lambdas/core/index.js';
import { analyse } from '../../lambdas/core/index.js';
import { mergeStatement } from '../../lambdas/core/resource-policy.js';

const DLC_IMAGE =
  'ValidationException\nThe repository of your image 007439368137.dkr.ecr.eu-west-2.amazonaws.com/sagemaker-tritonserver:25.09-py3 does not grant ecr:GetDownloadUrlForLayer, ecr:BatchGetImage, ecr:BatchCheckLayerAvailability permission to sagemaker.amazonaws.com service principal.';

const proposalOf = (text: string): FixProposal => {
  const outcome = analyse(text);
  if (outcome.kind !== 'permission') throw new Error(`not a permission diagnosis: ${text}`);
  return outcome.proposal;
};

const hasJq = spawnSync('jq', ['--version']).status === 0;

describe('a repository policy that omits the SageMaker service principal', () => {
  it('gets a statement for sagemaker.amazonaws.com bound to the account, and is certain', () => {
    // Act
    const proposal = proposalOf(DLC_IMAGE);
    // Assess
    expect(proposal.fixLocation).toBe('resource-policy');
    expect(proposal.policy).toBeUndefined();
    expect(proposal.resourcePolicies).toHaveLength(1);
    expect(proposal.resourcePolicies[0]).toMatchObject({
      kind: 'ecr-repository-policy',
      resourceArn: 'arn:aws:ecr:eu-west-2:007439368137:repository/sagemaker-tritonserver',
      statement: {
        Principal: { Service: 'sagemaker.amazonaws.com' },
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Condition: { StringEquals: { 'aws:SourceAccount': ['<account-id>'] } },
      },
    });
    expect(proposal.findings.map(certaintyOf)).toEqual(['certain']);
  });

  it('names no resource policy for a same-account identity denial', () => {
    // Act
    const proposal = proposalOf(
      'User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action',
    );
    // Assess
    expect(proposal.resourcePolicies).toEqual([]);
  });
});

describe('merging a statement into a resource policy', () => {
  const [fix] = proposalOf(DLC_IMAGE).resourcePolicies;
  const statement = fix?.statement ?? {
    Sid: 'x',
    Effect: 'Allow' as const,
    Principal: { AWS: 'x' },
    Action: [],
  };
  const ownerPolicy = {
    Version: '2012-10-17',
    Id: 'owner',
    Statement: { Sid: 'Owner', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'ecr:DescribeImages' },
  };

  it('keeps the owner statements and replaces its own on a second merge', () => {
    // Act
    const once = mergeStatement(ownerPolicy, statement);
    const twice = mergeStatement(once, statement);
    // Assess
    expect(twice).toEqual(once);
    expect(once).toEqual({ ...ownerPolicy, Statement: [ownerPolicy.Statement, statement] });
    expect(mergeStatement(undefined, statement)).toEqual({ Version: '2012-10-17', Statement: [statement] });
  });

  it.skipIf(!hasJq)('the jq command of the proposal merges exactly as mergeStatement does', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'merge-'));
    writeFileSync(join(dir, 'repository-policy.json'), JSON.stringify(ownerPolicy));
    const jqLine = fix?.commands.find((command) => command.startsWith('jq ')) ?? '';
    // Act
    execFileSync('bash', ['-c', jqLine], { cwd: dir });
    // Assess
    const merged: unknown = JSON.parse(readFileSync(join(dir, 'repository-policy.merged.json'), 'utf8'));
    expect(merged).toEqual(mergeStatement(ownerPolicy, statement));
  });

  it('passes every value from the text to the commands as one literal argument, never as shell code', () => {
    // Prepare: a bucket name from hostile text, with command substitution in it.
    const hostile = 'b$(id>pwned)`id>pwned`';
    const [bucketFix] = proposalOf(
      `User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::${hostile}/k.csv because no resource-based policy allows the s3:GetObject action`,
    ).resourcePolicies;
    const read = bucketFix?.commands[0] ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'quote-'));
    // Act: `aws` replaced by a function that prints each argument on a line.
    const printed = execFileSync(
      'bash',
      ['-c', `aws() { printf '%s\n' "$@"; }; ${read.replace(/ > .*$/, '')}`],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    // Assess
    // The bucket as the statement names it (IAM escapes the `$` of a policy variable), one argument.
    expect(printed.split('\n')).toContain(bucketFix?.resourceArn.replace('arn:aws:s3:::', ''));
    expect(bucketFix?.resourceArn).toContain('(id>pwned)`id>pwned`');
    expect(spawnSync('ls', [join(dir, 'pwned')]).status).not.toBe(0);
  });

  it('never writes a policy it has not read: the write reads the merged file the read produced', () => {
    // Assess
    for (const command of fix?.commands ?? []) expect(command).not.toMatch(/--policy-text '\{/);
    expect(fix?.commands.at(-1)).toMatch(
      /set-repository-policy .* --policy-text file:\/\/repository-policy\.merged\.json$/,
    );
  });
});
