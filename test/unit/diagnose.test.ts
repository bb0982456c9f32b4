import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionsOf, analyse, diagnose, failedJobFromInput, fixLocationOf } from '../../lambdas/core/index.js';
import type { JobContext } from '../../lambdas/core/index.js';
import { isEscalation } from '../../lambdas/core/actions.js';
import { readCorpus, readEvent } from '../helpers/fixtures.js';

const outcomeOf = (file: string) => {
  const job = failedJobFromInput(readEvent(file));
  return { job, outcome: analyse(job.failureReason ?? '', job) };
};
const resourcesOf = (file: string): string[] => {
  const { outcome } = outcomeOf(file);
  return outcome.kind === 'permission'
    ? (outcome.proposal.policy?.Statement.flatMap((s) => s.Resource) ?? [])
    : [];
};

describe('the sample events', () => {
  it('S3 input denial: GetObject under each input prefix and ListBucket with an s3:prefix condition', () => {
    // Act
    const { outcome } = outcomeOf('training-s3-input-access-denied.json');
    // Assess
    expect(outcome.kind).toBe('permission');
    if (outcome.kind !== 'permission') return;
    expect(outcome.proposal.policy?.Statement).toEqual([
      {
        Sid: 'InputData',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: ['arn:aws:s3:::my-training-bucket'],
        Condition: {
          StringLike: {
            's3:prefix': [
              'training_data/train/',
              'training_data/train/*',
              'training_data/validation/',
              'training_data/validation/*',
            ],
          },
          StringEquals: { 's3:ResourceAccount': ['111122223333'] },
        },
      },
      {
        Sid: 'InputData2',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [
          'arn:aws:s3:::my-training-bucket/training_data/train/*',
          'arn:aws:s3:::my-training-bucket/training_data/validation/*',
        ],
        Condition: { StringEquals: { 's3:ResourceAccount': ['111122223333'] } },
      },
    ]);
    expect(outcome.proposal.fixLocation).toBe('unknown');
  });

  it('S3 output denial: PutObject and AbortMultipartUpload under the output path only', () => {
    const { outcome } = outcomeOf('training-s3-output-access-denied.json');
    expect(outcome.kind === 'permission' && outcome.proposal.policy?.Statement).toEqual([
      {
        Sid: 'Output',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: ['arn:aws:s3:::my-output-bucket/model_artifacts/*'],
        Condition: { StringEquals: { 's3:ResourceAccount': ['111122223333'] } },
      },
    ]);
  });

  it('ECR pull: possible, token on * and pull actions on the job repository', () => {
    const { outcome } = outcomeOf('training-ecr-pull-denied.json');
    expect(outcome.kind === 'permission' && outcome.proposal.certainty).toBe('possible');
    expect(resourcesOf('training-ecr-pull-denied.json')).toEqual([
      '*',
      'arn:aws:ecr:us-east-1:111122223333:repository/custom-trainer',
    ]);
  });

  it('KMS: the job output key only, identity policy', () => {
    const { outcome } = outcomeOf('training-kms-output-denied.json');
    expect(outcome.kind === 'permission' && outcome.proposal.fixLocation).toBe('identity-policy');
    expect(resourcesOf('training-kms-output-denied.json')).toEqual([
      'arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
    ]);
  });

  it('VPC: ENI creation limited to the job subnets and security groups', () => {
    const resources = resourcesOf('training-vpc-eni-denied.json');
    expect(resources).toEqual(
      expect.arrayContaining([
        'arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0a1b2c3d4e5f60718',
        'arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0f1e2d3c4b5a69788',
        'arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0',
        'arn:aws:ec2:us-east-1:111122223333:network-interface/*',
      ]),
    );
    expect(resources.every((r) => r === '*' || r.startsWith('arn:aws:ec2:us-east-1:111122223333:'))).toBe(
      true,
    );
  });

  it('SCP explicit deny: no policy, advice names the SCP', () => {
    const { outcome } = outcomeOf('training-scp-explicit-deny.json');
    expect(outcome.kind).toBe('permission');
    if (outcome.kind !== 'permission') return;
    expect(outcome.proposal.fixLocation).toBe('scp');
    expect(outcome.proposal.policy).toBeUndefined();
    expect(outcome.proposal.advice.join('\n')).toMatch(
      /service control policy|scp: adding an Allow to the role will not help/,
    );
  });

  it('OOM: not a permission problem, no proposal', () => {
    const { outcome } = outcomeOf('training-not-permission-oom.json');
    expect(outcome.kind).toBe('not-permission');
    expect(outcome.kind === 'not-permission' && outcome.diagnosis.category).toBe('out-of-memory');
  });

  it('container-written text asking for iam:AttachRolePolicy: untrusted, withheld from the policy', () => {
    const { outcome } = outcomeOf('training-untrusted-failure-file.json');
    expect(outcome.kind).toBe('permission');
    if (outcome.kind !== 'permission') return;
    expect(outcome.diagnosis.untrustedText).toBe(true);
    expect(outcome.proposal.policy).toBeUndefined();
    expect(outcome.proposal.advice.join('\n')).toContain('iam:AttachRolePolicy can widen');
  });

  it('every sample policy names only the job account resources', () => {
    for (const file of [
      'training-s3-input-access-denied.json',
      'training-kms-output-denied.json',
      'training-vpc-eni-denied.json',
    ]) {
      for (const resource of resourcesOf(file))
        expect(resource === '*' || !/:\d{12}:/.test(resource) || resource.includes(':111122223333:')).toBe(
          true,
        );
    }
  });
});

/** The figures ../shared/score.mjs computes, on the copy of the corpus in the repository. */
function scoreCorpus() {
  let classified = 0;
  let correct = 0;
  let falseProposals = 0;
  let needed = 0;
  let found = 0;
  let proposed = 0;
  let proposedOk = 0;
  let locations = 0;
  let locationsOk = 0;
  for (const item of readCorpus()) {
    const diagnosis = diagnose(item.failureReason);
    const actions = actionsOf(diagnosis).map((a) => a.toLowerCase());
    const acceptable = new Set(
      [...item.expectedActions, ...(item.acceptableActions ?? [])].map((a) => a.toLowerCase()),
    );
    proposed += actions.length;
    proposedOk += actions.filter((a) => acceptable.has(a)).length;
    if (item.ambiguous) continue;
    classified += 1;
    if ((diagnosis.kind === 'permission') === item.isPermission) correct += 1;
    if (!item.isPermission && actions.length > 0) falseProposals += 1;
    needed += item.expectedActions.length;
    found += item.expectedActions.filter((a) => actions.includes(a.toLowerCase())).length;
    if (item.fixLocation && item.isPermission) {
      locations += 1;
      if (fixLocationOf(diagnosis) === item.fixLocation) locationsOk += 1;
    }
  }
  const pct = (a: number, b: number) => (b === 0 ? 100 : (100 * a) / b);
  return {
    classificationAccuracy: pct(correct, classified),
    falseProposals,
    actionRecall: pct(found, needed),
    actionPrecision: pct(proposedOk, proposed),
    fixLocationAccuracy: pct(locationsOk, locations),
  };
}

describe('explicit denies name only the denied action', () => {
  it.each([' with an explicit deny', ' with an explicit deny in an identity-based policy'])(
    '%s',
    (clause) => {
      const diagnosis = diagnose(
        `User: arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform: ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1${clause}`,
      );
      expect(actionsOf(diagnosis)).toEqual(['ec2:CreateNetworkInterface']);
    },
  );
});

describe('the development corpus', () => {
  it('meets the bar of issue 18', () => {
    // Act
    const score = scoreCorpus();
    // Assess
    expect(readCorpus()).toHaveLength(218);
    expect(score.classificationAccuracy).toBeGreaterThanOrEqual(99);
    expect(score.falseProposals).toBe(0);
    expect(score.actionRecall).toBeGreaterThanOrEqual(99);
    expect(score.actionPrecision).toBeGreaterThanOrEqual(98);
    expect(score.fixLocationAccuracy).toBeGreaterThanOrEqual(98);
  });
});

describe('properties of the core', () => {
  const job: JobContext = failedJobFromInput(readEvent('training-vpc-eni-denied.json'));
  const fragments = fc.constantFrom(
    'AccessDenied',
    'Access Denied',
    'Data download failed:',
    'Artifact upload failed:',
    'Cannot pull algorithm container',
    'User: arn:aws:sts::111122223333:assumed-role/R/S is not authorized to perform: ',
    's3:*',
    'iam:PassRole',
    'sts:AssumeRole',
    ' on resource: *',
    ' on resource: arn:aws:s3:::other-bucket/x',
    ' because no identity-based policy allows the x action',
    ' with an explicit deny in a ',
    'AlgorithmError: ',
    'kms:Decrypt',
    '(AccessDenied) when calling the GetObject operation',
  );
  const texts = fc.oneof(
    fc.string({ maxLength: 2000 }),
    fc
      .array(fc.oneof(fragments, fc.string({ maxLength: 20 })), { maxLength: 12 })
      .map((parts) => parts.join('')),
  );

  it('never throws, never grants a wildcard action, never proposes an escalation', () => {
    fc.assert(
      fc.property(texts, fc.boolean(), (text, withJob) => {
        const outcome = analyse(text, withJob ? job : undefined);
        if (outcome.kind !== 'permission') return;
        for (const statement of outcome.proposal.policy?.Statement ?? []) {
          for (const action of statement.Action) {
            expect(action).not.toContain('*');
            expect(isEscalation(action)).toBe(false);
          }
          // `*` only for actions IAM cannot scope to a resource.
          if (statement.Resource.includes('*')) {
            expect(
              statement.Action.every((a) =>
                /^(ecr:GetAuthorizationToken|ec2:Describe\w+|cloudwatch:PutMetricData)$/.test(a),
              ),
            ).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads a megabyte of text in bounded time and marks it truncated', () => {
    const diagnosis = diagnose(`${'Access Denied '.repeat(80_000)}`);
    expect(diagnosis.truncated).toBe(true);
  });
});
