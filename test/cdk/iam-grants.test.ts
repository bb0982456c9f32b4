/**
 * What the synthesized roles allow, decided by an IAM policy evaluator over the template's own
 * policies, against what each function calls and what the guard approves (issue 16).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { decideAutoApply, REFUSAL_CODES } from '../../lambdas/core/guard.js';
import { diagnose, failedJobFromInput } from '../../lambdas/core/index.js';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';
import { SageMakerPermissionRemediator } from '../../lib/sagemaker-permission-remediator.js';
import { approvalsTemplate } from '../helpers/approvals-stack.js';
import { readEvent } from '../helpers/fixtures.js';
import { allows, roleDocuments, roleId } from '../support/template-iam.js';

const ENV = { account: '111122223333', region: 'us-east-1' };
const ROLES = `arn:aws:iam::${ENV.account}:role`;
const TAGGED = { 'iam:ResourceTag/sagemaker-iam-remediator:auto': 'true' };

/** The stack of a remediator with approvals, as a template test synthesizes it (no bundling). */
const templateOf = (props: SageMakerPermissionRemediatorProps): Template =>
  approvalsTemplate(props, 'Grants');

/** The guard's opt-in gate for a job whose execution role is `roleArn`. */
function guardOptsIn(roleArn: string, roleNamePatterns: readonly string[], roleTags = {}): boolean {
  const job = { ...failedJobFromInput(readEvent('training-kms-output-denied.json')), roleArn };
  const diagnosis = diagnose(job.failureReason ?? '', job);
  if (diagnosis.kind !== 'permission') throw new Error('expected a permission diagnosis');
  const decision = decideAutoApply(
    diagnosis,
    job,
    { autoRemediate: true, allowedAccounts: [ENV.account], roleNamePatterns },
    { roleTags },
  );
  return !decision.refusals.some((refusal) => refusal.code === REFUSAL_CODES.roleNotOptedIn);
}

describe('16-role-path: the guard and the IAM grant agree on what a role pattern matches', () => {
  // Written by hand from IAM's ARN matching: the resource part is `role/<path><name>`, `*` matches `/`.
  const cases: [pattern: string, role: string, matches: boolean][] = [
    ['SageMaker*', 'SageMakerDev', true],
    ['SageMaker*', 'service-role/SageMakerDev', true],
    ['AmazonSageMaker-ExecutionRole-*', 'service-role/AmazonSageMaker-ExecutionRole-20261120T091452', true],
    ['SageMaker*', 'team/a/SageMakerDev', true],
    ['SageMakerDev', 'service-role/SageMakerDev', true],
    ['SageMakerDev', 'SageMakerDevOps', false],
    ['SageMakerDev', 'service-role/SageMakerDevOps', false],
    ['SageMaker*', 'DataSageMakerDev', false],
    ['SageMaker*', 'service-role/DataSageMakerDev', false],
    // The pattern's `*` may take the path in IAM; the guard asks IAM's question, so it agrees.
    ['SageMaker*', 'SageMakerTeam/admin', true],
    ['Dev-*', 'ops/admin', false],
  ];
  const writers = new Map<string, { name: string; documents: unknown[] }[]>();
  /** The two writing roles of a stack whose only pattern is `pattern` (synthesized once per pattern). */
  const writersFor = (pattern: string) => {
    const known = writers.get(pattern);
    if (known) return known;
    const template = templateOf({ autoRemediate: true, roleNamePatterns: [pattern] });
    const found = ['FunctionRole', 'ApproverRole'].map((name) => ({
      name,
      documents: roleDocuments(template, roleId(template, name), ENV),
    }));
    writers.set(pattern, found);
    return found;
  };

  it.each(cases)('%s and role/%s: %s', (pattern, role, matches) => {
    // Prepare
    const roleArn = `${ROLES}/${role}`;
    const roles = writersFor(pattern);
    // Act
    const guard = guardOptsIn(roleArn, [pattern]);
    const iam = roles.map(({ name, documents }) => [
      name,
      allows(documents, ENV, 'iam:PutRolePolicy', roleArn),
    ]);
    // Assess
    expect(guard).toBe(matches);
    expect(iam).toEqual(roles.map(({ name }) => [name, matches]));
  });
});

describe('16-tag-condition: a tagged role is writable through the tag alone, with or without patterns', () => {
  it.each([
    ['tag mode', []],
    ['with patterns', ['SageMakerDev*']],
  ] as const)('%s', (_name, roleNamePatterns) => {
    // Prepare
    const template = templateOf({ autoRemediate: true, roleNamePatterns });
    const tagged = `${ROLES}/service-role/TeamTrainingRole`;
    // Act, Assess: the guard opts the role in by its tag; IAM allows the write on the same condition.
    expect(guardOptsIn(tagged, roleNamePatterns, { 'sagemaker-iam-remediator:auto': 'true' })).toBe(true);
    expect(guardOptsIn(tagged, roleNamePatterns)).toBe(false);
    for (const name of ['FunctionRole', 'ApproverRole']) {
      const documents = roleDocuments(template, roleId(template, name), ENV);
      expect(allows(documents, ENV, 'iam:PutRolePolicy', tagged, TAGGED)).toBe(true);
      expect(allows(documents, ENV, 'iam:PutRolePolicy', tagged)).toBe(false);
      expect(
        allows(documents, ENV, 'iam:PutRolePolicy', tagged, {
          'iam:ResourceTag/sagemaker-iam-remediator:auto': 'false',
        }),
      ).toBe(false);
    }
  });
});

describe("16-approver-getrole: the approver's role allows every call of an approval", () => {
  it('reads the opt-in tag and the inline policies, then writes, on a tagged role under a path', () => {
    // Prepare
    const template = templateOf({});
    const documents = roleDocuments(template, roleId(template, 'ApproverRole'), ENV);
    const role = `${ROLES}/service-role/AmazonSageMaker-ExecutionRole-20261120T091452`;
    // Act, Assess: lambdas/approver/approve.ts reads the tag (GetRole) before the guard decides.
    for (const action of ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy'])
      expect([action, allows(documents, ENV, action, role)]).toEqual([action, true]);
    expect(allows(documents, ENV, 'iam:PutRolePolicy', role, TAGGED)).toBe(true);
  });
});

describe('16-least-privilege: each role holds what its function calls, and nothing more', () => {
  type Statement = { Effect: string; Action: string | string[] };
  const actionsOf = (template: Template, name: string): string[] =>
    (roleDocuments(template, roleId(template, name), ENV) as { Statement: Statement[] }[])
      .flatMap((document) => document.Statement)
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
      .sort();

  it('without auto-remediation or approvals, the function reads no role and its policies, and writes none', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'NoWrites', { env: ENV });
    new SageMakerPermissionRemediator(stack, 'Remediator', {});
    const template = Template.fromStack(stack);
    const actions = actionsOf(template, 'FunctionRole');
    expect(actions.filter((action) => action.startsWith('iam:'))).toEqual(['iam:SimulatePrincipalPolicy']);
  });

  it('approvals only: the function reads and writes no role; the approver and the cleanup hold the writes', () => {
    // Act
    const template = templateOf({});
    // Assess: the function, which reads untrusted failures, writes nothing it does not itself write.
    expect(actionsOf(template, 'FunctionRole').filter((action) => action.startsWith('iam:'))).toEqual([
      'iam:SimulatePrincipalPolicy',
    ]);
    for (const writer of ['ApproverRole', 'GrantCleanupRole'])
      expect([writer, actionsOf(template, writer)]).toEqual([
        writer,
        expect.arrayContaining(['iam:PutRolePolicy', 'iam:DeleteRolePolicy']),
      ]);
  });

  it('with auto-remediation, the function reads a role only to attach to it; only the cleanup lists roles', () => {
    // Act
    const template = templateOf({ autoRemediate: true });
    const iamActions = (name: string) =>
      [...new Set(actionsOf(template, name).filter((action) => action.startsWith('iam:')))].sort();
    // Assess
    expect(iamActions('FunctionRole')).toEqual(
      [
        'iam:DeleteRolePolicy',
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:PutRolePolicy',
        'iam:SimulatePrincipalPolicy',
      ].sort(),
    );
    expect(iamActions('GrantCleanupRole')).toEqual(
      [
        'iam:DeleteRolePolicy',
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListRoles',
        'iam:PutRolePolicy',
      ].sort(),
    );
    for (const name of ['FunctionRole', 'GrantCleanupRole'])
      expect(actionsOf(template, name)).not.toContain('iam:ListAttachedRolePolicies');
  });

  it('the function may get, put, update and delete items of its tables, query only the waiting-incidents index: no scan or batch', () => {
    const template = templateOf({});
    const actions = actionsOf(template, 'FunctionRole').filter((action) => action.startsWith('dynamodb:'));
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const query = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Sid?: string; Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      )
      .find((statement) => statement.Sid === 'QueryWaitingIncidents');
    expect(JSON.stringify(query?.Resource)).toMatch(/\/index\/[^"*]+"/);
  });
});

describe('19-least-privilege: the grant lifecycle calls IAM and its table on exact resources', () => {
  // Prepare: the widest lifecycle: approvals, the review of unused grants, one pattern.
  const template = templateOf({ roleNamePatterns: ['SageMakerDev*'], reviewUnusedDays: 30 });
  const functionDocuments = roleDocuments(template, roleId(template, 'FunctionRole'), ENV);
  const cleanupDocuments = roleDocuments(template, roleId(template, 'GrantCleanupRole'), ENV);
  const approverDocuments = roleDocuments(template, roleId(template, 'ApproverRole'), ENV);
  const table = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) =>
    id.includes('GrantRecordsTable'),
  );
  // template-iam.ts resolves a GetAtt to this stand-in.
  const tableArn = `getatt:${table}.Arn`;
  const matching = `${ROLES}/service-role/SageMakerDev-training`;
  const other = `${ROLES}/service-role/TeamTrainingRole`;

  it.each([['iam:DeleteRolePolicy'], ['iam:PutRolePolicy'], ['iam:GenerateServiceLastAccessedDetails']])(
    '%s: a role of the patterns under a path, a tagged role, never another',
    (action) => {
      // Act, Assess
      expect(allows(cleanupDocuments, ENV, action, matching)).toBe(true);
      expect(allows(cleanupDocuments, ENV, action, other, TAGGED)).toBe(true);
      expect(allows(cleanupDocuments, ENV, action, other)).toBe(false);
      // With approvals alone the function writes nothing.
      expect(allows(functionDocuments, ENV, action, matching)).toBe(false);
    },
  );

  it('the record table: its items only, and no index, scan or batch', () => {
    // Act, Assess
    // The cleanup marks what it found; an approval records its write and an undo claims it.
    expect(allows(cleanupDocuments, ENV, 'dynamodb:UpdateItem', tableArn)).toBe(true);
    for (const action of ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'])
      expect([action, allows(approverDocuments, ENV, action, tableArn)]).toEqual([action, true]);
    // With approvals alone the function writes no grant, so it records none.
    expect(allows(functionDocuments, ENV, 'dynamodb:PutItem', tableArn)).toBe(false);
    for (const documents of [functionDocuments, cleanupDocuments, approverDocuments]) {
      expect(allows(documents, ENV, 'dynamodb:Query', `${tableArn}/index/any`)).toBe(false);
      expect(allows(documents, ENV, 'dynamodb:Scan', tableArn)).toBe(false);
      expect(allows(documents, ENV, 'dynamodb:BatchGetItem', tableArn)).toBe(false);
    }
  });

  it('only the calls that take no resource are allowed on any: ListRoles, GetServiceLastAccessedDetails', () => {
    // Act
    const anywhere = (
      [...functionDocuments, ...cleanupDocuments, ...approverDocuments] as {
        Statement: { Effect: string; Action: unknown; Resource: unknown }[];
      }[]
    )
      .flatMap((document) => document.Statement)
      .filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Resource) === '"*"')
      .flatMap((statement) => statement.Action);
    // Assess
    expect(anywhere.sort()).toEqual(
      expect.arrayContaining(['iam:GetServiceLastAccessedDetails', 'iam:ListRoles']),
    );
    expect(anywhere.filter((action) => String(action).startsWith('iam:')).sort()).toEqual([
      'iam:GetServiceLastAccessedDetails',
      'iam:ListRoles',
    ]);
  });
});
