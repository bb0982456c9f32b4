import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resourceKindOf, RESOURCE_KINDS } from '../../lambdas/core/actions.js';
import { InvalidInputError } from '../../lambdas/core/errors.js';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import type { RequiredPermission } from '../../lambdas/core/preflight.js';
import {
  headline,
  jobToCheck,
  predict,
  PREDICTIONS,
  requiredJson,
  requiredPermissions,
  trustAllowsSageMaker,
} from '../../lambdas/core/preflight.js';
import type { PolicyCondition } from '../../lambdas/core/types.js';
import { eventNames, readEvent } from '../helpers/fixtures.js';

const JOBS_DIR = new URL('../../examples/jobs/', import.meta.url);
const readJob = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, JOBS_DIR), 'utf8')) as Record<string, unknown>;
const ROLE = 'arn:aws:iam::111122223333:role/SageMakerExecRole';
const OUTPUT_WRITE = 'arn:aws:s3:::my-output-bucket/model_artifacts/*';

/** Condition values one by one, so a proposal's prefixes can be found among the requirement's. */
const conditionValues = (condition: PolicyCondition | undefined): string[] =>
  Object.entries(condition ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys).flatMap(([key, values]) => values.map((value) => `${operator} ${key} ${value}`)),
  );

/** True when `action` on `resource` under every value of `condition` is among the requirements. */
const isRequired = (
  required: readonly RequiredPermission[],
  action: string,
  resource: string,
  condition?: PolicyCondition,
): boolean => {
  const matching = required.filter((r) => r.action === action && r.resource === resource);
  const allowed = new Set(matching.flatMap((r) => conditionValues(r.condition)));
  return matching.length > 0 && conditionValues(condition).every((value) => allowed.has(value));
};

describe('required permissions of a job configuration', () => {
  it('reads a CreateTrainingJob request: every resource comes from its configuration', () => {
    // Prepare
    const job = jobToCheck(readJob('training-job.json'));
    // Act
    const required = requiredPermissions(job);
    // Assess
    expect(job).toMatchObject({ jobType: 'training', accountId: '111122223333', region: 'us-east-1' });
    expect([...new Set(required.map((r) => r.resource))].sort()).toEqual([
      '*',
      'arn:aws:ec2:us-east-1:111122223333:network-interface/*',
      'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0',
      'arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0a1b2c3d4e5f60718',
      'arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0f1e2d3c4b5a69788',
      'arn:aws:ecr:us-east-1:111122223333:repository/custom-trainer',
      ROLE,
      'arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
      'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/TrainingJobs',
      'arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/TrainingJobs:log-stream:*',
      'arn:aws:s3:::my-code-bucket',
      'arn:aws:s3:::my-code-bucket/xgb-churn/source/sourcedir.tar.gz',
      'arn:aws:s3:::my-output-bucket',
      'arn:aws:s3:::my-output-bucket/checkpoints/xgb-churn/*',
      OUTPUT_WRITE,
      'arn:aws:s3:::my-training-bucket',
      'arn:aws:s3:::my-training-bucket/training_data/train/*',
      'arn:aws:s3:::my-training-bucket/training_data/validation/*',
    ]);
    expect(required).toContainEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::my-training-bucket',
      condition: {
        StringEquals: { 's3:ResourceAccount': ['111122223333'] },
        StringLike: {
          's3:prefix': [
            'training_data/train/',
            'training_data/train/*',
            'training_data/validation/',
            'training_data/validation/*',
          ],
        },
      },
      why: 'reads input data from s3://my-training-bucket/training_data/train, s3://my-training-bucket/training_data/validation',
      channel: 'input-data',
    });
    expect(required.filter((r) => r.resource === OUTPUT_WRITE).map((r) => r.action)).toEqual([
      's3:PutObject',
      's3:AbortMultipartUpload',
    ]);
    expect(required).toContainEqual(
      expect.objectContaining({
        action: 'kms:CreateGrant',
        resource: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        condition: { Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
        why: 'uses the volume key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab (grants for volume keys: the instances encrypt their storage volumes through a grant)',
      }),
    );
    // The SageMaker API reference of OutputDataConfig.KmsKeyId: the role must be allowed kms:Encrypt.
    expect(required).toContainEqual(
      expect.objectContaining({
        action: 'kms:Encrypt',
        resource: 'arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
        why: expect.stringMatching(
          /^uses the output key arn:aws:kms:us-east-1:111122223333:key\/0987dcba-09fe-87dc-65ba-ab0987654321 \(output keys: /,
        ),
      }),
    );
    expect(required.filter((r) => r.action === 'logs:CreateLogGroup').map((r) => r.resource)).toEqual([
      'arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/TrainingJobs',
    ]);
    expect(required.at(-1)).toMatchObject({ action: 'sts:AssumeRole', resource: ROLE, channel: 'trust' });
  });

  it('uses * only for actions IAM cannot scope to a resource', () => {
    const required = requiredPermissions(jobToCheck(readJob('training-job.json')));
    const unscoped = required.filter((r) => r.resource === '*').map((r) => r.action);
    expect(unscoped.length).toBeGreaterThan(0);
    for (const action of unscoped) {
      expect([RESOURCE_KINDS.none, RESOURCE_KINDS.metrics]).toContain(resourceKindOf(action));
    }
  });

  it('needs no VPC, key or image actions a job does not configure', () => {
    // Prepare: SageMaker's own image (another account's registry), no VPC, no keys.
    const job = jobToCheck(
      {
        TrainingJobName: 'plain',
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: 'sagemaker-public-image:1' },
        OutputDataConfig: { S3OutputPath: 's3://out/x' },
      },
      { region: 'eu-west-1' },
    );
    // Act
    const actions = new Set(requiredPermissions(job).map((r) => r.action));
    // Assess
    expect([...actions].filter((a) => /^(ec2|kms|ecr):/.test(a))).toEqual([]);
    expect(requiredPermissions(job)).toContainEqual(
      expect.objectContaining({
        resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/sagemaker/TrainingJobs',
      }),
    );
  });

  it('prints {required: [{action, resource, condition?, why}]} only', () => {
    const printed = requiredJson(requiredPermissions(jobToCheck(readJob('training-job.json'))));
    for (const entry of printed.required) {
      expect(Object.keys(entry).sort()).toEqual(
        entry.condition ? ['action', 'condition', 'resource', 'why'] : ['action', 'resource', 'why'],
      );
    }
  });

  it('reads the CloudTrail event of a successful CreateTrainingJob call, camelCase and all', () => {
    // Prepare: the sample denied call, as it would look had it succeeded.
    const event = readEvent('cloudtrail-createtrainingjob-passrole-denied.json');
    const detail = event.detail as Record<string, unknown>;
    const { errorCode: _code, errorMessage: _message, ...succeeded } = detail;
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:training-job/xgb-churn-2026-11-20-08-59-02-118';
    // Act
    const job = jobToCheck({ ...event, detail: { ...succeeded, responseElements: { trainingJobArn: arn } } });
    // Assess
    expect(job).toMatchObject({ jobArn: arn, roleArn: ROLE, region: 'us-east-1', accountId: '111122223333' });
    expect(() => jobToCheck(event)).toThrow(InvalidInputError);
  });

  it('refuses what it cannot check, saying why', () => {
    expect(() => jobToCheck({ TrainingJobName: 'no-role' })).toThrow(/pass --role ARN/);
    expect(() => jobToCheck({ TrainingJobName: 'x', RoleArn: 'arn:aws:iam::111122223333:user/bob' })).toThrow(
      /not an IAM role ARN/,
    );
    // An endpoint's state change names no role: that lives on its models.
    expect(() => jobToCheck(readEvent('endpoint-images-failed.json').detail)).toThrow(/pass --role ARN/);
  });
});

/** Sample failures whose proposal is for the job's execution role and whose job pre-flight can read. */
const permissionExamples = eventNames().filter((name) => {
  const job = failedJobFromInput(readEvent(name));
  return analyse(job.failureReason ?? '', job).kind === 'permission';
});

describe('pre-flight requires whatever a failure of the same job would have proposed', () => {
  it.each(permissionExamples)('%s', (name) => {
    // Prepare
    const event = readEvent(name);
    const failed = failedJobFromInput(event);
    const outcome = analyse(failed.failureReason ?? '', failed);
    if (outcome.kind !== 'permission') throw new Error('not a permission example');
    if (failed.jobType === 'endpoint') {
      // An endpoint's configuration lives on its models: pre-flight refuses it, saying so.
      expect(() => jobToCheck(event.detail)).toThrow(InvalidInputError);
      return;
    }
    if (failed.origin === 'api-call') {
      // The caller's own denial (iam:PassRole): the Create call itself answers it at submission.
      expect(outcome.proposal.roleName).not.toBe('SageMakerExecRole');
      return;
    }
    // Act
    const required = requiredPermissions(jobToCheck(event.detail));
    // Assess: every proposed statement, and every explicitly denied grant the advice names.
    const proposed = (outcome.proposal.policy?.Statement ?? []).flatMap((s) =>
      s.Action.flatMap((action) =>
        s.Resource.map((resource) => ({ action, resource, condition: s.Condition })),
      ),
    );
    const denied = outcome.diagnosis.findings
      .filter((f) => f.explicitDeny)
      .flatMap((f) =>
        f.grants.flatMap((g) =>
          g.actions.flatMap((action) =>
            g.resources.map((resource) => ({ action, resource, condition: g.condition })),
          ),
        ),
      );
    expect(proposed.length + denied.length + outcome.proposal.advice.length).toBeGreaterThan(0);
    for (const { action, resource, condition } of [...proposed, ...denied]) {
      expect(isRequired(required, action, resource, condition), `${action} on ${resource}`).toBe(true);
    }
    // A container's request for more power is never part of what a job needs.
    expect(required.map((r) => r.action)).not.toContain('iam:AttachRolePolicy');
  });

  it('covers the training, tuning and CloudTrail examples', () => {
    expect(permissionExamples).toEqual(
      expect.arrayContaining([
        'training-s3-output-access-denied.json',
        'training-kms-output-denied.json',
        'training-vpc-eni-denied.json',
        'training-ecr-pull-denied.json',
        'training-scp-explicit-deny.json',
        'tuning-s3-input-denied.json',
      ]),
    );
  });
});

describe('the prediction', () => {
  const job = jobToCheck(readJob('training-job.json'));
  const required = requiredPermissions(job);
  const simulatedAll = (decide: (r: RequiredPermission) => 'allowed' | 'implicitDeny' | 'explicitDeny') =>
    required
      .filter((r) => r.channel !== 'trust')
      .map((requirement) => ({ requirement, decision: decide(requirement) }));

  it('a missing output write is the policy and command a failure would get, marked as predicted', () => {
    // Act
    const report = predict(job, required, {
      simulated: simulatedAll((r) => (r.resource === OUTPUT_WRITE ? 'implicitDeny' : 'allowed')),
      trustAllowsSageMaker: true,
      unchecked: [],
    });
    // Assess
    expect(report).toMatchObject({ prediction: PREDICTIONS.willFail, definite: false });
    expect(report.proposal?.policy?.Statement).toEqual([
      {
        Sid: 'Output',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: [OUTPUT_WRITE],
        Condition: { StringEquals: { 's3:ResourceAccount': ['111122223333'] } },
      },
    ]);
    expect(report.proposal?.command).toContain("aws iam put-role-policy --role-name 'SageMakerExecRole'");
    expect(report.proposal?.explanation).toContain('predicted before the job runs');
    expect(headline(report)).toMatch(
      /^xgb-churn-2026-11-27: this job will fail: SageMakerExecRole needs 2 permission\(s\)/,
    );
  });

  it('an explicit deny in an SCP is definite and says where it lives', () => {
    const report = predict(job, required, {
      simulated: simulatedAll((r) => (r.action === 's3:GetObject' ? 'explicitDeny' : 'allowed')).map((s) =>
        s.decision === 'explicitDeny' ? { ...s, blockedBy: 'scp' as const } : s,
      ),
      trustAllowsSageMaker: true,
      unchecked: [],
    });
    expect(report).toMatchObject({ prediction: PREDICTIONS.willFail, definite: true });
    expect(report.proposal?.policy).toBeUndefined();
    expect(report.proposal?.advice[0]).toMatch(/^Explicit deny of s3:GetObject on .* in scp/);
  });

  it('a trust policy without SageMaker is definite; nothing simulated is unverifiable; all allowed passes', () => {
    expect(
      predict(job, required, { simulated: [], trustAllowsSageMaker: false, unchecked: [] }),
    ).toMatchObject({
      prediction: PREDICTIONS.willFail,
      definite: true,
      proposal: { fixLocation: 'trust-policy' },
    });
    const unverifiable = predict(job, required, {
      simulated: [],
      unchecked: ['SimulatePrincipalPolicy failed: AccessDenied'],
    });
    expect(unverifiable).toMatchObject({ prediction: PREDICTIONS.unverifiable, definite: false });
    expect(headline(unverifiable)).toContain('could not be checked: SimulatePrincipalPolicy failed');
    expect(
      predict(job, required, {
        simulated: simulatedAll(() => 'allowed'),
        trustAllowsSageMaker: true,
        unchecked: [],
      }),
    ).toMatchObject({ prediction: PREDICTIONS.willPass, definite: false });
  });

  it('reads trust policies as GetRole returns them', () => {
    const trust = (principal: unknown, effect = 'Allow') =>
      encodeURIComponent(
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: effect, Principal: principal, Action: 'sts:AssumeRole' }],
        }),
      );
    expect(trustAllowsSageMaker(trust({ Service: 'sagemaker.amazonaws.com' }))).toBe(true);
    expect(
      trustAllowsSageMaker(trust({ Service: ['lambda.amazonaws.com', 'sagemaker.amazonaws.com'] })),
    ).toBe(true);
    expect(trustAllowsSageMaker(trust({ Service: 'lambda.amazonaws.com' }))).toBe(false);
    expect(trustAllowsSageMaker(trust({ Service: 'sagemaker.amazonaws.com' }, 'Deny'))).toBe(false);
  });
});
