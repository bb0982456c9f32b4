import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuardConfig } from '../../lambdas/core/guard.js';
import { AUTO_APPLY_ALLOWLIST } from '../../lambdas/core/actions.js';
import { decideAutoApply, globMatches } from '../../lambdas/core/guard.js';
import { diagnose, failedJobFromInput } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const OPEN: GuardConfig = {
  autoRemediate: true,
  allowedAccounts: ['111122223333'],
  roleNamePatterns: ['SageMakerExec*'],
};

function decide(
  file: string,
  config: GuardConfig = OPEN,
  reason?: string,
  roleTags?: Record<string, string>,
) {
  const job = failedJobFromInput(readEvent(file));
  const diagnosis = diagnose(reason ?? job.failureReason ?? '', job);
  if (diagnosis.kind !== 'permission') throw new Error('expected a permission diagnosis');
  return decideAutoApply(diagnosis, job, config, { roleTags });
}

describe('decideAutoApply', () => {
  it('approves an implicit identity-policy denial on the job resources', () => {
    const decision = decide('training-vpc-eni-denied.json');
    expect(decision).toMatchObject({ eligible: true, refusals: [], roleName: 'SageMakerExecRole' });
    expect(
      decision.policy?.Statement.flatMap((s) => s.Action).every((a) => AUTO_APPLY_ALLOWLIST.has(a)),
    ).toBe(true);
  });

  it.each([
    ['off', { ...OPEN, autoRemediate: false }, /auto-remediation is off/],
    ['another account', { ...OPEN, allowedAccounts: ['999988887777'] }, /not in allowedAccounts/],
    ['no pattern match', { ...OPEN, roleNamePatterns: ['Prod*'] }, /matches no roleNamePatterns/],
  ])('refuses when %s', (_name, config, refusal) => {
    const decision = decide('training-kms-output-denied.json', config);
    expect(decision.eligible).toBe(false);
    expect(decision.refusals.join('\n')).toMatch(refusal);
  });

  it('accepts the opt-in tag instead of a pattern', () => {
    expect(
      decide('training-kms-output-denied.json', { ...OPEN, roleNamePatterns: [] }, undefined, {
        'sagemaker-iam-remediator:auto': 'true',
      }).eligible,
    ).toBe(true);
  });

  it.each([
    [
      'an unknown fix location (bare Access Denied)',
      'training-s3-input-access-denied.json',
      undefined,
      /fix location is unknown/,
    ],
    ['an explicit deny', 'training-scp-explicit-deny.json', undefined, /explicit deny/],
    ['a possible cause only', 'training-ecr-pull-denied.json', undefined, /several causes/],
    [
      'a principal other than the execution role',
      'training-kms-output-denied.json',
      'User: arn:aws:sts::111122223333:assumed-role/OtherRole/x is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321 because no identity-based policy allows the kms:GenerateDataKey action',
      /not the job's execution role/,
    ],
  ])('refuses %s', (_name, file, reason, refusal) => {
    const decision = decide(file, OPEN, reason);
    expect(decision.eligible && decision.refusals.length === 0).toBe(false);
    expect(decision.refusals.join('\n')).toMatch(refusal);
  });

  it('matches role-name globs as whole names, with * the only wildcard', () => {
    expect(globMatches('SageMaker*', 'SageMakerExecRole')).toBe(true);
    expect(globMatches('SageMaker*', 'MySageMakerRole')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });
});

describe('property: whatever the text says, the guard only ever applies what the job implies', () => {
  const job = failedJobFromInput(readEvent('training-vpc-eni-denied.json'));
  const jobBuckets = new Set(job.s3Locations.map((l) => l.bucket));
  const fragments = fc.constantFrom(
    'AlgorithmError: ',
    'ClientError: Data download failed: ',
    'User: arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform: ',
    'User: arn:aws:sts::999988887777:assumed-role/Other/x is not authorized to perform: ',
    's3:GetObject on resource: arn:aws:s3:::my-training-bucket/training_data/train/x.csv',
    's3:GetObject on resource: arn:aws:s3:::attacker-bucket/loot',
    'kms:Decrypt on resource: arn:aws:kms:us-east-1:999988887777:key/k',
    'iam:PutRolePolicy on resource: arn:aws:iam::111122223333:role/SageMakerExecRole',
    'ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-east-1:111122223333:subnet/subnet-evil',
    's3:* on resource: *',
    ' because no identity-based policy allows the action',
    ' with an explicit deny in a service control policy',
    '(AccessDenied: Access Denied)',
    'The execution role does not have s3:PutObject permission on bucket attacker-bucket',
  );
  const texts = fc.array(fragments, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));

  it('keeps every applied action in the allowlist and every resource in the job account or its buckets', () => {
    fc.assert(
      fc.property(texts, (text) => {
        const diagnosis = diagnose(text, job);
        if (diagnosis.kind !== 'permission') return;
        const decision = decideAutoApply(diagnosis, job, OPEN);
        for (const statement of decision.policy?.Statement ?? []) {
          for (const action of statement.Action) expect(AUTO_APPLY_ALLOWLIST.has(action)).toBe(true);
          for (const resource of statement.Resource) {
            const s3Bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
            if (s3Bucket) expect(jobBuckets.has(s3Bucket)).toBe(true);
            else if (resource !== '*') expect(resource).toContain(':111122223333:');
            expect(resource).not.toContain('subnet-evil');
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
