import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigRole } from '../../lambdas/core/actions.js';
import {
  actionRow,
  AUTO_APPLY_ALLOWLIST,
  CONFIG_ROLES,
  RESOURCE_KINDS,
  S3_CHANNEL_ROLES,
} from '../../lambdas/core/actions.js';
import type { GuardConfig } from '../../lambdas/core/guard.js';
import { decideAutoApply, globMatches, REFUSAL_CODES } from '../../lambdas/core/guard.js';
import { analyse, diagnose, failedJobFromInput, propose } from '../../lambdas/core/index.js';
import type {
  JobContext,
  PermissionDiagnosis,
  PolicyCondition,
  S3Location,
} from '../../lambdas/core/types.js';
import { CHANNELS } from '../../lambdas/core/types.js';
import { readEvent } from '../helpers/fixtures.js';

const ACCOUNT = '111122223333';
const OUTPUT_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const DECLARED = [
  'arn:aws:s3:::my-training-bucket',
  'arn:aws:s3:::my-training-bucket/*',
  'arn:aws:s3:::my-output-bucket/*',
  `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
];
const OPEN: GuardConfig = {
  autoRemediate: true,
  allowedAccounts: [ACCOUNT],
  roleNamePatterns: ['SageMakerExec*'],
  resourcePatterns: DECLARED,
};
const DENIED_BY = `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/SageMaker is not authorized to perform:`;
const denial = (action: string, resource: string, prefix = 'ClientError: ') =>
  `${prefix}${DENIED_BY} ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

function permission(reason: string, job: JobContext): PermissionDiagnosis {
  const diagnosis = diagnose(reason, job);
  if (diagnosis.kind !== 'permission') throw new Error('expected a permission diagnosis');
  return diagnosis;
}

function decide(
  file: string,
  config: GuardConfig = OPEN,
  reason?: string,
  roleTags?: Record<string, string>,
) {
  const job = failedJobFromInput(readEvent(file));
  return decideAutoApply(permission(reason ?? job.failureReason ?? '', job), job, config, { roleTags });
}

/** A sample event's job with its detail edited. */
const jobOf = (file: string, edit: (detail: Record<string, unknown>) => void): JobContext => {
  const event = structuredClone(readEvent(file));
  edit(event.detail as Record<string, unknown>);
  return failedJobFromInput(event);
};

const codesOf = (decision: { refusals: readonly { code: string }[] }) => decision.refusals.map((r) => r.code);
const statementsOf = (decision: ReturnType<typeof decide>) => decision.policy?.Statement ?? [];

describe('decideAutoApply', () => {
  it('approves an implicit identity-policy denial on the job resources', () => {
    const decision = decide('training-vpc-eni-denied.json');
    expect(decision).toMatchObject({ eligible: true, refusals: [], roleName: 'SageMakerExecRole' });
    expect(
      statementsOf(decision)
        .flatMap((s) => s.Action)
        .every((a) => AUTO_APPLY_ALLOWLIST.has(a)),
    ).toBe(true);
  });

  it.each([
    ['off', { ...OPEN, autoRemediate: false }, 'auto-remediation-off', /auto-remediation is off/],
    [
      'another account',
      { ...OPEN, allowedAccounts: ['999988887777'] },
      'account-not-allowed',
      /not in allowedAccounts/,
    ],
    [
      'no pattern match',
      { ...OPEN, roleNamePatterns: ['Prod*'] },
      'role-not-opted-in',
      /matches no roleNamePatterns/,
    ],
  ])('refuses when %s, with a code and a text', (_name, config, code, text) => {
    const decision = decide('training-kms-output-denied.json', config);
    expect(decision.eligible).toBe(false);
    expect(decision.refusals).toContainEqual({ code, message: expect.stringMatching(text) });
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
      'not-identity-policy',
    ],
    ['an explicit deny', 'training-scp-explicit-deny.json', undefined, 'explicit-deny'],
    ['a possible cause only', 'training-ecr-pull-denied.json', undefined, 'uncertain'],
    [
      'a principal other than the execution role',
      'training-kms-output-denied.json',
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/OtherRole/x is not authorized to perform: kms:GenerateDataKey on resource: ${OUTPUT_KEY} because no identity-based policy allows the kms:GenerateDataKey action`,
      'principal-not-execution-role',
    ],
  ])('refuses %s', (_name, file, reason, code) => {
    const decision = decide(file, OPEN, reason);
    expect(decision.eligible && decision.refusals.length === 0).toBe(false);
    expect(codesOf(decision)).toContain(code);
  });

  it('names and proposes an action of any service, but applies none outside the action table (issue 18)', () => {
    // Prepare
    const action = 'datazone:ListEnvironmentBlueprints';
    const reason = denial(action, `arn:aws:datazone:us-east-1:${ACCOUNT}:domain/dzd-1`);
    // Act
    const decision = decide('training-vpc-eni-denied.json', OPEN, reason);
    const outcome = analyse(reason);
    // Assess
    expect(outcome.kind === 'permission' && outcome.proposal.policy?.Statement[0]?.Action).toEqual([action]);
    expect(decision.eligible).toBe(false);
    expect(codesOf(decision)).toContain(REFUSAL_CODES.actionNotAutoApplicable);
  });

  it('keeps the decision plain JSON', () => {
    const decision = decide('training-kms-output-denied.json', { ...OPEN, resourcePatterns: undefined });
    expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
  });

  it('matches globs as whole strings, with * and ? the only wildcards', () => {
    expect(globMatches('SageMaker*', 'SageMakerExecRole')).toBe(true);
    expect(globMatches('SageMaker*', 'MySageMakerRole')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('key/????', 'key/abcd')).toBe(true);
    expect(globMatches('arn:aws:s3:::b/*', 'arn:aws:s3:::b/data/train/*')).toBe(true);
  });
});

describe('issue 8: every IAM write bounded by what the operator declared and what the job needs', () => {
  const job = failedJobFromInput(readEvent('training-kms-output-denied.json'));
  const INPUT_OBJECT = 'arn:aws:s3:::my-training-bucket/training_data/train/part-0.csv';
  const OUTPUT_OBJECT = 'arn:aws:s3:::my-output-bucket/model_artifacts/job/output/model.tar.gz';

  it.each([
    ['s3:PutObject on the input prefix', 's3:PutObject', INPUT_OBJECT, 'my-training-bucket/training_data'],
    ['s3:GetObject on the output prefix', 's3:GetObject', OUTPUT_OBJECT, 'my-output-bucket/model_artifacts'],
  ])('reproduction 2: text cannot choose the access mode (%s)', (_name, action, resource, prefix) => {
    // Prepare: a trusted-looking text that pairs a job resource with the wrong access.
    const diagnosis = permission(denial(action, resource), job);
    // Act
    const decision = decideAutoApply(diagnosis, job, OPEN);
    // Assess: nothing on that prefix is applied, and the refusal names the rule.
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.actionDoesNotFitRole,
      message: expect.stringContaining(`${action} does not fit`),
    });
    expect(JSON.stringify(decision.policy ?? {})).not.toContain(prefix);
    // Container-written, the same text is refused for its origin as well.
    const written = decideAutoApply(permission(denial(action, resource, 'AlgorithmError: '), job), job, OPEN);
    expect(written.eligible).toBe(false);
    expect(codesOf(written)).toEqual(expect.arrayContaining(['untrusted-text', 'action-does-not-fit-role']));
  });

  it('reproduction 3: kms:CreateGrant is proposed and applied only with kms:GrantIsForAWSResource', () => {
    // Act
    const diagnosis = permission(denial('kms:CreateGrant', OUTPUT_KEY), job);
    const decision = decideAutoApply(diagnosis, job, OPEN);
    // Assess
    expect(decision.eligible).toBe(true);
    expect(decision.policy?.Statement).toEqual([
      {
        Sid: 'Kms',
        Effect: 'Allow',
        Action: ['kms:CreateGrant'],
        Resource: [OUTPUT_KEY],
        Condition: { Bool: { 'kms:GrantIsForAWSResource': ['true'] } },
      },
    ]);
    // A grant without the condition (a forged or stale record) is refused by name.
    const stripped: PermissionDiagnosis = {
      ...diagnosis,
      findings: diagnosis.findings.map((f) => ({
        ...f,
        grants: f.grants.map((g) => ({ ...g, condition: undefined })),
      })),
    };
    const forged = decideAutoApply(stripped, job, OPEN);
    expect(forged.policy).toBeUndefined();
    expect(codesOf(forged)).toContain(REFUSAL_CODES.conditionMissing);
  });

  it('reproduction 4: a bucket or key the job names is not granted unless the operator declared it', () => {
    // Prepare: whoever starts the job names a production bucket as input.
    const event = readEvent('training-s3-input-access-denied.json');
    const payments = failedJobFromInput(
      JSON.parse(
        JSON.stringify(event).replace(
          '"S3Uri":"s3://my-training-bucket/training_data/train"',
          '"S3Uri":"s3://payments-prod-ledger/exports"',
        ),
      ),
    );
    const reason = `ClientError: Data download failed: ${DENIED_BY} s3:GetObject on resource: arn:aws:s3:::payments-prod-ledger/exports/2026.csv because no identity-based policy allows the s3:GetObject action`;
    const diagnosis = permission(reason, payments);
    const defaults = { ...OPEN, resourcePatterns: undefined };
    // Act
    const refused = decideAutoApply(diagnosis, payments, defaults);
    const declared = decideAutoApply(diagnosis, payments, {
      ...OPEN,
      resourcePatterns: ['arn:aws:s3:::payments-prod-ledger/exports/*', 'arn:aws:s3:::my-training-bucket/*'],
    });
    // Assess: the default declares only the SageMaker default bucket.
    expect(refused.eligible && refused.refusals.length === 0).toBe(false);
    expect(refused.refusals).toContainEqual({
      code: 'resource-not-declared',
      message: expect.stringContaining('arn:aws:s3:::payments-prod-ledger/exports/*'),
    });
    expect(declared.refusals).toEqual([]);
    // Every S3 statement is bound to the job's account: S3 ARNs carry none.
    for (const statement of declared.policy?.Statement ?? []) {
      expect(statement.Condition?.StringEquals?.['s3:ResourceAccount']).toEqual([ACCOUNT]);
    }
    // Keys too: the job's own output key is refused by default.
    const key = decideAutoApply(permission(job.failureReason ?? '', job), job, defaults);
    expect(codesOf(key)).toContain('resource-not-declared');
    expect(key.eligible && key.refusals.length === 0).toBe(false);
  });

  it('reproduction 4: the default declares the SageMaker default bucket of the job account', () => {
    const detail = structuredClone(readEvent('training-s3-output-access-denied.json').detail) as Record<
      string,
      unknown
    >;
    (detail.OutputDataConfig as { S3OutputPath: string }).S3OutputPath =
      `s3://sagemaker-us-east-1-${ACCOUNT}/out`;
    const ownJob = failedJobFromInput({ ...readEvent('training-s3-output-access-denied.json'), detail });
    const reason = denial('s3:PutObject', `arn:aws:s3:::sagemaker-us-east-1-${ACCOUNT}/out/job/model.tar.gz`);
    const decision = decideAutoApply(permission(reason, ownJob), ownJob, {
      ...OPEN,
      resourcePatterns: undefined,
    });
    expect(decision).toMatchObject({ eligible: true, refusals: [] });
    expect(decision.policy?.Statement[0]?.Resource).toEqual([
      `arn:aws:s3:::sagemaker-us-east-1-${ACCOUNT}/out/*`,
    ]);
  });

  it('reproduction 5: a foreign bucket in the text is proposed as named, never replaced by the job input', () => {
    // Prepare
    const reason = `ClientError: Data download failed: ${DENIED_BY} s3:GetObject on resource: arn:aws:s3:::other-team-bucket/data/x.csv because no identity-based policy allows the s3:GetObject action`;
    const diagnosis = permission(reason, job);
    // Act
    const outcome = analyse(reason, job);
    const decision = decideAutoApply(diagnosis, job, { ...OPEN, resourcePatterns: ['*'] });
    // Assess: the proposal names the bucket the failure quotes, with the reason, and is not applied.
    if (outcome.kind !== 'permission') throw new Error('expected a permission outcome');
    const resources = outcome.proposal.policy?.Statement.flatMap((s) => s.Resource) ?? [];
    expect(resources).toContain('arn:aws:s3:::other-team-bucket/data/*');
    expect(resources.some((r) => r.includes('my-training-bucket'))).toBe(false);
    expect(outcome.proposal.explanation).toMatch(/which the job's configuration does not/);
    expect(decision.policy).toBeUndefined();
    expect(codesOf(decision)).toContain(REFUSAL_CODES.resourceNotFromJob);
  });

  it("reproduction 7: a CloudTrail-recorded denial is never applied, even for the execution role's own call", () => {
    // Prepare: the caller is the execution role, and a request parameter names every key.
    const event = structuredClone(readEvent('cloudtrail-createtrainingjob-passrole-denied.json'));
    const detail = event.detail as {
      requestParameters: { resourceConfig: Record<string, unknown> };
      errorMessage: string;
    };
    detail.requestParameters.resourceConfig.volumeKmsKeyId = '*';
    detail.errorMessage = `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/studio is not authorized to perform: kms:CreateGrant on resource: arn:aws:kms:us-east-1:${ACCOUNT}:key/* because no identity-based policy allows the kms:CreateGrant action`;
    const apiJob = failedJobFromInput(event);
    // Act
    const outcome = analyse(apiJob.failureReason ?? '', apiJob);
    const decision = decideAutoApply(permission(apiJob.failureReason ?? '', apiJob), apiJob, {
      ...OPEN,
      resourcePatterns: ['*'],
    });
    // Assess
    expect(apiJob.origin).toBe('api-call');
    expect(decision.eligible).toBe(false);
    expect(codesOf(decision)).toContain(REFUSAL_CODES.apiCallOrigin);
    if (outcome.kind !== 'permission') throw new Error('expected a permission outcome');
    expect(JSON.stringify(outcome.proposal.policy ?? {})).not.toContain('key/*');
    expect(JSON.stringify(decision.policy ?? {})).not.toContain('key/*');
  });

  it.each([
    ['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:*:*:secret:*'],
    ['s3:GetObject', 'arn:aws:s3:::*/*'],
    ['s3:GetObject', 'arn:aws:s3:::my-training-bucket/training_data/tr?in/*'],
    ['kms:Decrypt', `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`],
  ])(
    'reproduction 8: a wildcard from text (%s on %s) never reaches a policy or a command',
    (action, resource) => {
      // Act
      const outcome = analyse(denial(action, resource, 'AlgorithmError: '), job);
      // Assess
      if (outcome.kind !== 'permission') throw new Error('expected a permission outcome');
      const { policy, command, explanation } = outcome.proposal;
      for (const text of [JSON.stringify(policy ?? {}), command ?? '']) expect(text).not.toContain(resource);
      expect(policy?.Statement.flatMap((s) => s.Resource)).toContain(
        '<the message names a wildcard resource: name the exact resource>',
      );
      expect(explanation).toMatch(/a wildcard from failure text is never granted/);
      expect(outcome.proposal.hasPlaceholders).toBe(true);
    },
  );
});

describe('red team: hostile job configurations', () => {
  it("a * in the job's S3 URI is not declared by a ? of the operator's pattern", () => {
    // Prepare: the operator declares two-letter project folders; the job names `project-**`.
    const job = jobOf('training-s3-input-access-denied.json', (detail) => {
      const [first] = detail.InputDataConfig as { DataSource: { S3DataSource: { S3Uri: string } } }[];
      if (first) first.DataSource.S3DataSource.S3Uri = 's3://shared/project-**';
      detail.InputDataConfig = [first];
    });
    const reason = `ClientError: Data download failed: ${DENIED_BY} s3:GetObject because no identity-based policy allows the s3:GetObject action`;
    // Act
    const decision = decideAutoApply(permission(reason, job), job, {
      ...OPEN,
      resourcePatterns: ['arn:aws:s3:::shared', 'arn:aws:s3:::shared/project-??/*'],
    });
    // Assess: IAM would read `project-**/*` as every folder starting with project-; it is data, escaped.
    expect(JSON.stringify(decision.policy ?? {})).not.toContain('project-**/*');
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.resourceNotLiteral,
      message: expect.stringContaining('arn:aws:s3:::shared/project-${*}${*}/*'),
    });
    expect(globMatches('key/????', 'key/ab**')).toBe(false);
  });

  it('a subnet or security group * in CloudTrail request parameters is never granted, even after a click', () => {
    // Prepare: the caller is the execution role and names every subnet and group.
    const event = structuredClone(readEvent('cloudtrail-createtrainingjob-passrole-denied.json'));
    const detail = event.detail as { requestParameters: Record<string, unknown>; errorMessage: string };
    detail.requestParameters.vpcConfig = { subnets: ['*'], securityGroupIds: ['sg-1', '*'] };
    detail.errorMessage = `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/studio is not authorized to perform: ec2:CreateNetworkInterface because no identity-based policy allows the ec2:CreateNetworkInterface action`;
    const apiJob = failedJobFromInput(event);
    const reason = apiJob.failureReason ?? '';
    // Act
    const outcome = analyse(reason, apiJob);
    const approved = decideAutoApply(permission(reason, apiJob), apiJob, OPEN, { humanApproved: true });
    // Assess: neither the proposal nor an approval names subnet/* or security-group/*.
    if (outcome.kind !== 'permission') throw new Error('expected a permission outcome');
    for (const text of [JSON.stringify(outcome.proposal.policy ?? {}), JSON.stringify(approved.policy ?? {})])
      expect(text).not.toMatch(/subnet\/\*|security-group\/\*/);
    expect(outcome.proposal.explanation).toMatch(/subnet or security group with a wildcard/);
    expect(codesOf(approved)).toContain(REFUSAL_CODES.resourceNotFromJob);
  });

  it("an alias ARN of another account is not replaced by the job account's key of that alias", () => {
    // Prepare: the job's output key is another account's alias; the text names no key.
    const job = jobOf('training-kms-output-denied.json', (detail) => {
      (detail.OutputDataConfig as { KmsKeyId: string }).KmsKeyId =
        'arn:aws:kms:eu-west-1:999988887777:alias/ml';
    });
    const reason = `ClientError: ${DENIED_BY} kms:GenerateDataKey because no identity-based policy allows the kms:GenerateDataKey action`;
    // Act
    const decision = decideAutoApply(permission(reason, job), job, {
      ...OPEN,
      resourcePatterns: [`arn:aws:kms:us-east-1:${ACCOUNT}:key/*`],
    });
    // Assess: the grant names the alias's own account and region, and is refused for it.
    expect(JSON.stringify(decision.policy ?? {})).not.toContain(`kms:us-east-1:${ACCOUNT}:key/*`);
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.resourceOtherAccount,
      message: expect.stringContaining('arn:aws:kms:eu-west-1:999988887777:key/*'),
    });
  });

  it("an execution role of another account than the job's is never changed", () => {
    // Prepare: the write would go to the job account's role of the same name, not the job's.
    const job = jobOf('training-kms-output-denied.json', (detail) => {
      detail.RoleArn = 'arn:aws:iam::999988887777:role/SageMakerExecRole';
    });
    // Act
    const decision = decideAutoApply(permission(job.failureReason ?? '', job), job, OPEN);
    // Assess
    expect(decision.eligible).toBe(false);
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.roleOtherAccount,
      message: `the role arn:aws:iam::999988887777:role/SageMakerExecRole is not in the job's account ${ACCOUNT}`,
    });
  });
  it("a tuning job whose definitions name two roles gives neither the other's resources", () => {
    // Prepare: a second definition runs under another role and writes where only that role should.
    const job = jobOf('tuning-s3-input-denied.json', (detail) => {
      const first = detail.TrainingJobDefinition as Record<string, unknown>;
      detail.TrainingJobDefinitions = [
        first,
        {
          ...first,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/SageMakerExecOther`,
          OutputDataConfig: { S3OutputPath: `s3://sagemaker-us-east-1-${ACCOUNT}/other-team-models` },
        },
      ];
    });
    const reason = `ClientError: ${DENIED_BY} s3:PutObject on resource: arn:aws:s3:::sagemaker-us-east-1-${ACCOUNT}/other-team-models/x/model.tar.gz because no identity-based policy allows the s3:PutObject action`;
    // Act
    const decision = decideAutoApply(permission(reason, job), job, {
      ...OPEN,
      resourcePatterns: ['arn:aws:s3:::*'],
    });
    const approved = decideAutoApply(
      permission(reason, job),
      job,
      { ...OPEN, resourcePatterns: ['arn:aws:s3:::*'] },
      {
        humanApproved: true,
      },
    );
    // Assess
    expect(job.otherRoleArns).toEqual([`arn:aws:iam::${ACCOUNT}:role/SageMakerExecOther`]);
    for (const result of [decision, approved]) {
      expect(result.eligible).toBe(false);
      expect(codesOf(result)).toContain(REFUSAL_CODES.severalExecutionRoles);
    }
  });
});

describe('issue 17: a resource from the job or the text is data, never a pattern', () => {
  const outputPath = (path: string) => (detail: Record<string, unknown>) => {
    (detail.OutputDataConfig as { S3OutputPath: string }).S3OutputPath = path;
  };
  /** The diagnosis with every grant's condition replaced: what a forged or older record would carry. */
  const withCondition = (
    diagnosis: PermissionDiagnosis,
    action: string,
    condition: PolicyCondition | undefined,
  ): PermissionDiagnosis => ({
    ...diagnosis,
    findings: diagnosis.findings.map((f) => ({
      ...f,
      grants: f.grants.map((g) => (g.actions.includes(action) ? { ...g, condition } : g)),
    })),
  });
  const putDenied = `ClientError: Artifact upload failed: ${DENIED_BY} s3:PutObject because no identity-based policy allows the s3:PutObject action`;

  it('17-2: a policy variable in a job S3 URI is shown escaped and never applied', () => {
    // Prepare: IAM would expand the variable to `team-b/models`, outside the declared team-a folders.
    const job = jobOf(
      'training-s3-output-access-denied.json',
      outputPath("s3://ml-artifacts/${aws:PrincipalTag/team-a/x,'team-b/models'}"),
    );
    const config = { ...OPEN, resourcePatterns: ['arn:aws:s3:::ml-artifacts/*/team-a/*'] };
    // Act
    const decision = decideAutoApply(permission(putDenied, job), job, config);
    const approved = decideAutoApply(permission(putDenied, job), job, config, { humanApproved: true });
    const proposal = analyse(putDenied, job);
    // Assess
    for (const result of [decision, approved]) {
      expect(result.eligible && result.policy !== undefined).toBe(false);
      expect(codesOf(result)).toContain(REFUSAL_CODES.resourceNotLiteral);
    }
    const shown = JSON.stringify(proposal.kind === 'permission' ? proposal.proposal.policy : {});
    expect(shown).toContain("arn:aws:s3:::ml-artifacts/${$}{aws:PrincipalTag/team-a/x,'team-b/models'}/*");
    expect(shown).not.toContain('/${aws:');
  });

  it('17-2: a CloudTrail key ARN with a policy variable for its account is refused, even after a click', () => {
    // Prepare: the execution role's own call, with a key ARN whose account IAM would fill in.
    const event = structuredClone(readEvent('cloudtrail-createtrainingjob-passrole-denied.json'));
    const detail = event.detail as { requestParameters: Record<string, unknown>; errorMessage: string };
    detail.requestParameters.outputDataConfig = {
      s3OutputPath: 's3://my-output-bucket/model_artifacts',
      kmsKeyId: 'arn:aws:kms:us-east-1:${aws:ResourceAccount}:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    };
    detail.errorMessage = `User: arn:aws:sts::${ACCOUNT}:assumed-role/SageMakerExecRole/studio is not authorized to perform: kms:GenerateDataKey because no identity-based policy allows the kms:GenerateDataKey action`;
    const job = failedJobFromInput(event);
    const config = { ...OPEN, resourcePatterns: ['arn:aws:kms:us-east-1:*:key/*'] };
    // Act
    const approved = decideAutoApply(permission(job.failureReason ?? '', job), job, config, {
      humanApproved: true,
    });
    // Assess
    expect(approved.policy).toBeUndefined();
    expect(approved.refusals).toContainEqual({
      code: REFUSAL_CODES.resourceNotLiteral,
      message: expect.stringContaining('arn:aws:kms:us-east-1:${$}{aws:ResourceAccount}:key/'),
    });
  });

  it('17-low-star: a literal * in a job S3 key is never an IAM wildcard', () => {
    // Prepare: `s3://DEF/*` is the folder named `*`; IAM would read `DEF/*/*` as every folder.
    const job = jobOf('training-s3-output-access-denied.json', outputPath('s3://my-output-bucket/*'));
    // Act
    const decision = decideAutoApply(permission(putDenied, job), job, OPEN);
    const proposal = analyse(putDenied, job);
    // Assess
    expect(decision.policy).toBeUndefined();
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.resourceNotLiteral,
      message: expect.stringContaining('arn:aws:s3:::my-output-bucket/${*}/*'),
    });
    const shown = JSON.stringify(proposal.kind === 'permission' ? proposal.proposal.policy : {});
    expect(shown).toContain('arn:aws:s3:::my-output-bucket/${*}/*');
    expect(shown).not.toContain('my-output-bucket/*/*');
  });

  it.each([
    ['an upper-case region', 'arn:aws:kms:US-EAST-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['an upper-case service', 'arn:aws:KMS:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['no account', 'arn:aws:kms:us-east-1::key/1234abcd-12ab-34cd-56ef-1234567890ab'],
  ])('17-low-arn-case: a job key ARN with %s is refused, not spared the account rule', (_what, keyArn) => {
    // Prepare: the operator declares keys of every region; the key is another account's.
    const job = jobOf('training-kms-output-denied.json', (detail) => {
      (detail.OutputDataConfig as { KmsKeyId: string }).KmsKeyId = keyArn;
    });
    const reason = `ClientError: ${DENIED_BY} kms:GenerateDataKey because no identity-based policy allows the kms:GenerateDataKey action`;
    // Act
    const decision = decideAutoApply(permission(reason, job), job, {
      ...OPEN,
      resourcePatterns: ['arn:aws:kms:*'],
    });
    // Assess
    expect(decision.policy).toBeUndefined();
    expect(decision.refusals).toContainEqual({
      code: REFUSAL_CODES.resourceNotCanonical,
      message: expect.stringContaining(keyArn),
    });
  });

  it('17-low-prefix: ListBucket lists the input folder with its /, never a sibling folder sharing the name', () => {
    // Prepare: `team-a` as a bare s3:prefix would also list `team-a-secret/`.
    const job = jobOf('training-s3-input-access-denied.json', (detail) => {
      const [first] = detail.InputDataConfig as { DataSource: { S3DataSource: { S3Uri: string } } }[];
      if (first) first.DataSource.S3DataSource.S3Uri = 's3://my-training-bucket/team-a';
      detail.InputDataConfig = [first];
    });
    const reason = denial('s3:GetObject', 'arn:aws:s3:::my-training-bucket/team-a/part-00000.csv');
    const diagnosis = permission(reason, job);
    // Act
    const decision = decideAutoApply(diagnosis, job, OPEN);
    const bare = withCondition(diagnosis, 's3:ListBucket', {
      StringLike: { 's3:prefix': ['team-a', 'team-a/*'] },
      StringEquals: { 's3:ResourceAccount': [ACCOUNT] },
    });
    const forged = decideAutoApply(bare, job, OPEN);
    // Assess
    const listing = statementsOf(decision).find((s) => s.Action.includes('s3:ListBucket'));
    expect(listing?.Condition?.StringLike?.['s3:prefix']).toEqual(['team-a/', 'team-a/*']);
    expect(decision.eligible).toBe(true);
    expect(JSON.stringify(forged.policy ?? {})).not.toContain('s3:ListBucket');
    expect(codesOf(forged)).toContain(REFUSAL_CODES.resourceNotInJob);
  });

  it("17-low-eni: the actions on existing network interfaces are bound to the job's subnets", () => {
    // Prepare
    const job = failedJobFromInput(readEvent('training-vpc-eni-denied.json'));
    const reason = denial(
      'ec2:DeleteNetworkInterface',
      `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-0abc`,
    );
    const diagnosis = permission(reason, job);
    const subnets = job.subnets.map((s) => `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/${s}`);
    // Act
    const decision = decideAutoApply(diagnosis, job, OPEN);
    const unbound = withCondition(diagnosis, 'ec2:DeleteNetworkInterface', undefined);
    const forged = decideAutoApply(unbound, job, OPEN);
    // Assess
    expect(subnets.length).toBeGreaterThan(0);
    const onInterfaces = statementsOf(decision).filter((s) =>
      s.Resource.includes(`arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/*`),
    );
    const existing = [
      'ec2:DeleteNetworkInterface',
      'ec2:CreateNetworkInterfacePermission',
      'ec2:DeleteNetworkInterfacePermission',
    ];
    for (const action of existing) {
      expect(onInterfaces.filter((s) => s.Action.includes(action)).map((s) => s.Condition)).toEqual([
        { ArnEquals: { 'ec2:Subnet': subnets } },
      ]);
    }
    expect(decision.eligible).toBe(true);
    expect(JSON.stringify(forged.policy ?? {})).not.toContain('ec2:DeleteNetworkInterface');
    expect(codesOf(forged)).toContain(REFUSAL_CODES.conditionMissing);
  });
});

describe('property: whatever the job, the patterns and the text, the guard applies only what the configuration implies', () => {
  const BUCKETS = [
    'my-training-bucket',
    `sagemaker-us-east-1-${ACCOUNT}`,
    'payments-prod-ledger',
    'shared-data',
  ];
  const S3_CHANNELS = [CHANNELS.inputData, CHANNELS.output, CHANNELS.checkpoint, CHANNELS.modelData];
  /**
   * Job data IAM would read as a pattern (`*`, `?`, policy variables), spelled another way (upper
   * case, another partition, no account) or with paths: each must be refused, and shown only escaped.
   */
  const HOSTILE = {
    prefixes: [
      '*',
      'da*ta',
      'da?ta',
      '${aws:username}',
      "team/${aws:PrincipalTag/t,'x'}",
      'Data/Train',
      'x/../y',
    ],
    keys: [
      `arn:aws:kms:US-EAST-1:${ACCOUNT}:key/5555`,
      'arn:aws:kms:us-east-1:${aws:ResourceAccount}:key/6666',
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/77?7`,
      `arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/8888`,
      `arn:aws:kms:us-east-1::key/9999`,
      'alias/${aws:username}',
    ],
    subnets: ['subnet-*', 'subnet-${aws:username}', 'SUBNET-AAA'],
    securityGroups: ['sg-?11'],
    images: [
      `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/trainer*:1`,
      `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/\${aws:username}:1`,
      `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/Trainer:1`,
    ],
    fileSystems: ['fs-*', 'fs-${aws:username}'],
  };
  /** Fragments of the hostile data that may appear in a proposal only escaped. */
  const RAW_FRAGMENTS = ['${aws:', 'da*ta', 'da?ta', '77?7', 'trainer*', 'subnet-*', 'sg-?11', 'fs-*'];
  const KEYS = [
    `arn:aws:kms:us-east-1:${ACCOUNT}:key/1111`,
    `arn:aws:kms:us-east-1:999988887777:key/2222`,
    'alias/ml',
    ...HOSTILE.keys,
  ];
  const location = fc
    .record({
      channel: fc.constantFrom(...S3_CHANNELS),
      bucket: fc.constantFrom(...BUCKETS),
      prefix: fc.constantFrom('', 'data', 'data/train', 'out', 'ckpt', ...HOSTILE.prefixes),
    })
    .map((l): S3Location => ({ ...l, uri: `s3://${l.bucket}/${l.prefix}`, isObject: false }));
  const jobs = fc
    .record({
      s3Locations: fc.array(location, { maxLength: 4 }),
      kmsKeys: fc.subarray(KEYS).map((keys) => keys.map((keyId) => ({ use: 'volume' as const, keyId }))),
      subnets: fc.subarray(['subnet-aaa', 'subnet-bbb', ...HOSTILE.subnets], { maxLength: 2 }),
      securityGroups: fc.subarray(['sg-111', ...HOSTILE.securityGroups]),
      images: fc.subarray([`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/trainer:1`, ...HOSTILE.images], {
        maxLength: 2,
      }),
      fileSystems: fc
        .subarray(HOSTILE.fileSystems)
        .map((ids) => ids.map((id) => ({ type: 'efs' as const, id }))),
      roleArn: fc.constantFrom(
        `arn:aws:iam::${ACCOUNT}:role/SageMakerExecRole`,
        `arn:aws:iam::${ACCOUNT}:role/service-role/SageMakerExecRole`,
      ),
    })
    .map((parts): JobContext => ({
      ...parts,
      jobType: 'training',
      jobName: 'job',
      jobArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:training-job/job`,
      partition: 'aws',
      region: 'us-east-1',
      accountId: ACCOUNT,
      origin: 'job-state-change',
    }));
  const patterns = fc.option(
    fc.subarray([
      'arn:aws:s3:::my-training-bucket/*',
      'arn:aws:s3:::my-training-bucket',
      'arn:aws:s3:::payments-*',
      'arn:aws:s3:::shared-data/data/*',
      'arn:aws:s3:::*',
      'arn:aws:s3:::sagemaker-*',
      'arn:aws:s3:::my-training-bucket/*/team-a/*',
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
      'arn:aws:kms:*',
      `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`,
      '*',
    ]),
    { nil: undefined, freq: 4 },
  );
  const resources = fc.constantFrom(
    ...BUCKETS.flatMap((b) => [`arn:aws:s3:::${b}/data/train/x.csv`, `arn:aws:s3:::${b}/out/m.tar.gz`]),
    'arn:aws:s3:::*/*',
    'arn:aws:s3:::my-training-bucket/*',
    's3://shared-data/ckpt/c.pt',
    ...KEYS.filter((k) => k.startsWith('arn:')),
    `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/trainer`,
    `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/other`,
    `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-evil`,
    `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-aaa`,
    'arn:aws:secretsmanager:*:*:secret:*',
    'arn:aws:s3:::my-training-bucket/${aws:username}/x.csv',
    'arn:aws:kms:US-EAST-1:999988887777:key/2222',
    `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-1`,
    `arn:aws:iam::${ACCOUNT}:role/SageMakerExecRole`,
    '*',
  );
  // S3 access is what the job's configuration decides most often: weighted up.
  const actions = fc.constantFrom(
    's3:GetObject',
    's3:GetObject',
    's3:PutObject',
    's3:PutObject',
    's3:ListBucket',
    's3:DeleteObject',
    'kms:Decrypt',
    'kms:GenerateDataKey',
    'kms:CreateGrant',
    'ecr:BatchGetImage',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'iam:PutRolePolicy',
    'secretsmanager:GetSecretValue',
    's3:*',
  );
  /** Denial statements naming the job's own objects (so that some are applicable) or hostile resources. */
  const statementsFor = (job: JobContext) =>
    fc
      .tuple(
        fc.constantFrom('ClientError: ', 'AlgorithmError: ', 'ClientError: Data download failed: ', ''),
        fc.constantFrom(
          DENIED_BY,
          `User: arn:aws:sts::999988887777:assumed-role/Other/x is not authorized to perform:`,
        ),
        actions,
        job.s3Locations.length > 0
          ? fc.oneof(
              resources,
              fc.constantFrom(
                ...job.s3Locations.map(
                  (l) => `arn:aws:s3:::${l.bucket}/${l.prefix ? `${l.prefix}/` : ''}f.csv`,
                ),
              ),
            )
          : resources,
        fc.constantFrom(' because no identity-based policy allows the action', ' with an explicit deny', ''),
      )
      .map(
        ([prefix, who, action, resource, tail]) =>
          `${prefix}${who} ${action} on resource: ${resource}${tail}`,
      );
  const textsFor = (job: JobContext) =>
    fc
      .array(
        fc.oneof(
          statementsFor(job),
          fc.constantFrom(
            '(AccessDenied: Access Denied)',
            'Unable to download object s3://shared-data/data/train/a.csv',
            'The execution role does not have s3:PutObject permission on bucket attacker-bucket',
          ),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((parts) => parts.join(' '));
  const cases = fc
    .tuple(jobs, patterns)
    .chain(([job, resourcePatterns]) => textsFor(job).map((text) => [job, resourcePatterns, text] as const));

  /**
   * The oracle's own glob: `*` any run, `?` one character other than a `*` of the text, by walking
   * both strings (no regular expression, nothing shared with the guard).
   */
  function matchesGlob(pattern: string, text: string): boolean {
    let [p, t, star, resume] = [0, 0, -1, 0];
    while (t < text.length) {
      if (p < pattern.length && (pattern[p] === text[t] || (pattern[p] === '?' && text[t] !== '*'))) {
        p += 1;
        t += 1;
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p;
        resume = t;
        p += 1;
      } else if (star >= 0) {
        p = star + 1;
        resume += 1;
        t = resume;
      } else return false;
    }
    while (pattern[p] === '*') p += 1;
    return p === pattern.length;
  }

  /** How IAM spells an ARN: lower case, the job's partition and region, the job's account where there is one. */
  function isCanonicalForJob(resource: string): boolean {
    if (resource === '*') return true;
    const [arn, partition, service = '', region = '', account = ''] = resource.split(':');
    const lower = (part: string) => part === part.toLowerCase();
    return (
      arn === 'arn' &&
      partition === 'aws' &&
      lower(service) &&
      (service === 's3' ? region === '' && account === '' : account === ACCOUNT) &&
      ['', 'us-east-1'].includes(region)
    );
  }

  /** The roles the job gives a resource, read straight from the configuration. */
  function rolesIn(job: JobContext, resource: string): ConfigRole[] {
    const roles: ConfigRole[] = [];
    for (const l of job.s3Locations) {
      const objects = `arn:aws:s3:::${l.bucket}/${l.prefix ? `${l.prefix}/` : ''}*`;
      const role = S3_CHANNEL_ROLES[l.channel];
      if (role && (resource === objects || resource === `arn:aws:s3:::${l.bucket}`)) roles.push(role);
    }
    const keys = job.kmsKeys.filter(
      (k) => k.keyId === resource || (k.keyId.startsWith('alias/') && resource.endsWith(':key/*')),
    );
    // Spelt out here, not read from the action table's KEY_ROLES: the oracle shares no code with the guard.
    if (keys.some((k) => k.use === 'volume')) roles.push(CONFIG_ROLES.volumeKey);
    if (keys.some((k) => k.use === 'output')) roles.push(CONFIG_ROLES.outputKey);
    if (keys.some((k) => k.use === 'input')) roles.push(CONFIG_ROLES.inputKey);
    const repositories = job.images.map(
      (image) =>
        `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${image.split('/').slice(1).join('/').split(':')[0]}`,
    );
    if (repositories.includes(resource)) roles.push(CONFIG_ROLES.imagePull);
    const network = /:(subnet|security-group|network-interface)\/(.+)$/.exec(resource);
    if (
      network &&
      job.subnets.length > 0 &&
      [...job.subnets, ...job.securityGroups, '*'].includes(network[2] ?? '')
    )
      roles.push(CONFIG_ROLES.vpc);
    if (resource === '*') roles.push(CONFIG_ROLES.imagePull, CONFIG_ROLES.vpc, CONFIG_ROLES.metrics);
    if (resource.includes(':log-group:')) roles.push(CONFIG_ROLES.logs);
    return roles;
  }

  it('applies only configuration-implied access, on declared resources of the job account, with no text wildcard', () => {
    // The property must not hold vacuously: count the statements it checked.
    const checked = { statements: 0, s3: 0, escaped: 0 };
    fc.assert(
      fc.property(cases, ([job, resourcePatterns, text]) => {
        const diagnosis = diagnose(text, job);
        if (diagnosis.kind !== 'permission') return;
        const decision = decideAutoApply(diagnosis, job, { ...OPEN, resourcePatterns });
        checked.statements += decision.policy?.Statement.length ?? 0;
        checked.s3 +=
          decision.policy?.Statement.filter((s) => s.Action.some((a) => a.startsWith('s3:'))).length ?? 0;
        const declared = resourcePatterns ?? [
          `arn:aws:s3:::sagemaker-us-east-1-${ACCOUNT}`,
          `arn:aws:s3:::sagemaker-us-east-1-${ACCOUNT}/*`,
        ];
        if (text.trimStart().startsWith('AlgorithmError')) expect(decision.eligible).toBe(false);
        // Hostile job data reaches a proposal only escaped, and never an applied policy.
        const proposed = JSON.stringify(propose(diagnosis).policy ?? {});
        for (const fragment of RAW_FRAGMENTS) expect(proposed).not.toContain(fragment);
        if (proposed.includes('${')) checked.escaped += 1;
        const conditionValues = (decision.policy?.Statement ?? []).flatMap((s) =>
          Object.values(s.Condition ?? {}).flatMap((keys) => Object.values(keys).flat()),
        );
        for (const value of conditionValues) expect(value).not.toContain('$');
        for (const statement of decision.policy?.Statement ?? []) {
          const isS3 = statement.Action.some((a) => a.startsWith('s3:'));
          if (isS3) expect(statement.Condition?.StringEquals?.['s3:ResourceAccount']).toEqual([ACCOUNT]);
          for (const action of statement.Action) {
            const row = actionRow(action);
            expect(row?.mayAutoApply, action).toBe(true);
            for (const resource of statement.Resource) {
              // Implied by the configuration role of its resource.
              expect(
                rolesIn(job, resource).some((role) => row?.serves.includes(role as never)),
                `${action} ${resource}`,
              ).toBe(true);
              // Declared by the operator, for the kinds the operator declares.
              if (
                row?.resourceKind === RESOURCE_KINDS.s3Object ||
                row?.resourceKind === RESOURCE_KINDS.kmsKey ||
                row?.resourceKind === RESOURCE_KINDS.ecrRepository
              ) {
                expect(
                  declared.some((p) => matchesGlob(p, resource)),
                  resource,
                ).toBe(true);
              }
              if (row?.resourceKind === RESOURCE_KINDS.s3Bucket) {
                expect(
                  declared.some(
                    (p) =>
                      matchesGlob(p, resource) ||
                      p.startsWith(`${resource}/`) ||
                      p === '*' ||
                      matchesGlob(p, `${resource}/x`),
                  ),
                  resource,
                ).toBe(true);
              }
              // Canonical, in the job's account, free of policy variables and of any wildcard the job or the text wrote.
              expect(isCanonicalForJob(resource), resource).toBe(true);
              expect(resource).not.toContain('$');
              expect(resource).not.toContain('?');
              for (const banned of ['subnet-evil', 'secretsmanager', ':::*'])
                expect(resource).not.toContain(banned);
              const templateStar = ['/*', ':log-stream:*'].find((end) => resource.endsWith(end)) ?? '';
              const data = resource === '*' ? '' : resource.slice(0, resource.length - templateStar.length);
              expect(data, resource).not.toContain('*');
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
    expect(checked.statements).toBeGreaterThan(20);
    expect(checked.s3).toBeGreaterThan(3);
    expect(checked.escaped).toBeGreaterThan(20);
  });
});
