import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  MemberAccountForwarder,
  MemberAccountStack,
  validateForwarderProps,
} from '../../lib/member-account-forwarder.js';
import type { MemberAccountForwarderProps } from '../../lib/member-account-forwarder.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';

const CENTRAL = '111122223333';
const MEMBER = '444455556666';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actions = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

function memberTemplate(props: Partial<MemberAccountForwarderProps> = {}): Template {
  const app = new App();
  const stack = new Stack(app, 'Member', { env: { account: MEMBER, region: 'us-east-1' } });
  new MemberAccountForwarder(stack, 'Forwarder', { centralAccountId: CENTRAL, ...props });
  return Template.fromStack(stack);
}

describe('MemberAccountForwarder', () => {
  it("forwards the failure events to the central account's default bus", () => {
    memberTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Training Job State Change'],
        detail: { TrainingJobStatus: ['Failed'] },
      },
    });
    const rule = Object.values(memberTemplate().findResources('AWS::Events::Rule'))[0] as {
      Properties: { Targets: { Arn: unknown }[] };
    };
    expect(JSON.stringify(rule.Properties.Targets[0]?.Arn)).toContain(
      `:events:us-east-1:${CENTRAL}:event-bus/default`,
    );
  });

  it('gives a dead-letter queue to the forwarding target', () => {
    const rule = Object.values(memberTemplate().findResources('AWS::Events::Rule'))[0] as {
      Properties: { Targets: { DeadLetterConfig?: { Arn: unknown } }[] };
    };
    expect(JSON.stringify(rule.Properties.Targets[0]?.DeadLetterConfig?.Arn)).toMatch(/DeadLetterQueue/);
  });

  it('lets only the central function and approver roles assume the member role, not the whole account', () => {
    const template = memberTemplate();
    const centralRole = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CENTRAL}:role/${name}`]],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'sagemaker-iam-remediator-member',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: {
              AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CENTRAL}:root`]] },
            },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [
                  centralRole('sagemaker-iam-remediator-central'),
                  centralRole('sagemaker-iam-remediator-central-approver'),
                ],
              },
            },
          },
        ],
      },
    });
  });

  it('gives the central account a read-only role by default', () => {
    const template = memberTemplate();
    const granted = actions(statementsOf(template));
    // Describe and verify; the reads before a write (tags, inline policies) only with allowRemediation.
    expect(granted.filter((a) => !a.startsWith('events:')).sort()).toEqual([
      'iam:SimulatePrincipalPolicy',
      'sagemaker:DescribeTrainingJob',
    ]);
  });

  it('allows PutRolePolicy on matching roles only when the account opts in', () => {
    const statements = statementsOf(
      memberTemplate({ allowRemediation: true, roleNamePatterns: ['SageMakerDev*'] }),
    );
    const attach = statements.find((s) => s.Sid === 'AttachFixesToRolesMatchingPatterns');
    expect(attach?.Action).toEqual(['iam:PutRolePolicy', 'iam:DeleteRolePolicy']);
    expect(JSON.stringify(attach?.Resource)).toContain(`:iam::${MEMBER}:role/SageMakerDev*`);
    expect(JSON.stringify(attach?.Resource)).toContain(`:iam::${MEMBER}:role/*/SageMakerDev*`);
    const deny = statements.find((s) => s.Sid === 'NeverWriteTheServicesOwnRoles');
    expect(JSON.stringify(deny?.Resource)).toContain(`:iam::${MEMBER}:role/sagemaker-iam-remediator-member`);
  });

  it('StackSet over two regions of one account: the member role exists once, the rules in both', () => {
    // Prepare: one environment-agnostic template, as a StackSet deploys it.
    const app = new App();
    const stack = new Stack(app, 'StackSet');
    new MemberAccountForwarder(stack, 'Forwarder', {
      centralAccountId: CENTRAL,
      memberRoleRegion: 'us-east-1',
      memberRoleName: 'custom-member',
    });
    const template = Template.fromStack(stack);
    const resources = template.toJSON() as {
      Conditions: Record<string, { 'Fn::Equals': [unknown, string] }>;
      Resources: Record<string, { Type: string; Condition?: string }>;
    };
    // Act: evaluate the template's conditions in each region.
    const created = (region: string) =>
      Object.values(resources.Resources).filter((resource) => {
        if (!resource.Condition) return true;
        const [left, right] = resources.Conditions[resource.Condition]?.['Fn::Equals'] ?? [];
        return JSON.stringify(left) === JSON.stringify({ Ref: 'AWS::Region' }) && right === region;
      });
    // Assess
    const roles = (region: string) =>
      created(region).filter(
        (r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r).includes('custom-member'),
      );
    expect([...roles('us-east-1'), ...roles('eu-west-1')]).toHaveLength(1);
    const rules = (region: string) => created(region).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules('eu-west-1')).toHaveLength(1);
    expect(rules('us-east-1')).toHaveLength(1);
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'custom-member' });
  });

  it('reports every props problem at once', () => {
    expect(
      validateForwarderProps({
        centralAccountId: 'central',
        roleNamePatterns: ['a/b'],
        memberRoleRegion: 'x',
      }),
    ).toEqual([
      'centralAccountId must be a 12-digit account id',
      'roleNamePatterns may use role-name characters and * only',
      'memberRoleRegion must be a region name such as us-east-1',
    ]);
  });
});

describe('central mode', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(
    new RemediatorStack(app, 'Central', {
      env: { account: CENTRAL, region: 'us-east-1' },
      remediator: { central: { organizationId: 'o-abc123def4' } },
    }),
  );

  it("accepts PutEvents from the organization's accounts on the default bus", () => {
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      StatementId: 'SageMakerFailuresFromTheOrganization',
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        // Only the organization, and only the SageMaker failure events the rules catch.
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': 'o-abc123def4',
            'events:source': ['aws.sagemaker'],
            'events:detail-type': ['SageMaker Training Job State Change'],
          },
        },
      },
    });
  });

  it('gives the function role the name member roles trust', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'sagemaker-iam-remediator-central' });
  });

  it('may assume the member role only in accounts of the organization', () => {
    const assume = statementsOf(template).find((s) => s.Sid === 'ActInMemberAccounts');
    expect(assume?.Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(assume?.Resource)).toContain(':iam::*:role/sagemaker-iam-remediator-member');
    expect(assume?.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-abc123def4' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MEMBER_ROLE_NAME: 'sagemaker-iam-remediator-member',
          HOME_ACCOUNT_ID: CENTRAL,
        }),
      },
    });
  });
});

describe('16-org-regions: one central home for every region', () => {
  it("a StackSet's rules in every region target the home region's central bus, through a role", () => {
    // Prepare: the environment-agnostic template a StackSet deploys in each region.
    const app = new App();
    const stack = new Stack(app, 'StackSet');
    // Act
    new MemberAccountForwarder(stack, 'Forwarder', { centralAccountId: CENTRAL, centralRegion: 'eu-west-1' });
    const template = Template.fromStack(stack);
    // Assess
    const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { Targets: { Arn: unknown; RoleArn?: unknown }[] };
    }[];
    const target = rule?.Properties.Targets[0];
    expect(JSON.stringify(target?.Arn)).toContain(`:events:eu-west-1:${CENTRAL}:event-bus/default`);
    expect(target?.RoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/EventsRole/), 'Arn'] });
    // The member role (an account-wide name) is created in the home region only.
    const json = template.toJSON() as {
      Conditions: Record<string, unknown>;
      Resources: Record<string, { Type: string; Condition?: string; Properties: { RoleName?: string } }>;
    };
    const member = Object.values(json.Resources).find(
      (r) => r.Properties.RoleName === 'sagemaker-iam-remediator-member',
    );
    expect(json.Conditions[member?.Condition ?? '']).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'],
    });
  });

  it('the member role and the central function describe the jobs of every region', () => {
    const describeResources = (template: Template) =>
      JSON.stringify(statementsOf(template).find((s) => s.Sid === 'DescribeFailedJobs')?.Resource);
    expect(describeResources(memberTemplate({ centralRegion: 'us-east-1' }))).toContain(
      `:sagemaker:*:${MEMBER}:training-job/*`,
    );
    const central = Template.fromStack(
      new RemediatorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Home', {
        env: { account: CENTRAL, region: 'us-east-1' },
        remediator: { central: { organizationId: 'o-abc123def4' } },
      }),
    );
    expect(describeResources(central)).toContain(`:sagemaker:*:${CENTRAL}:training-job/*`);
  });
});

describe('16-bootstrapless: the member stack deploys where CDK was never bootstrapped', () => {
  it('has no BootstrapVersion parameter and no CheckBootstrapVersion rule', () => {
    // Prepare
    const stack = new MemberAccountStack(new App(), 'Member', { forwarder: { centralAccountId: CENTRAL } });
    // Act
    const json = Template.fromStack(stack).toJSON() as {
      Parameters?: Record<string, unknown>;
      Rules?: Record<string, unknown>;
    };
    // Assess
    expect(Object.keys(json.Parameters ?? {})).not.toContain('BootstrapVersion');
    expect(Object.keys(json.Rules ?? {})).not.toContain('CheckBootstrapVersion');
  });
});

describe('the member stack, synthesized for real', () => {
  it('has zero unsuppressed cdk-nag findings', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Validations } = await import('aws-cdk-lib');
    const { AwsSolutionsChecks } = await import('cdk-nag');
    const { MemberAccountStack } = await import('../../lib/member-account-forwarder.js');
    const outdir = mkdtempSync(join(tmpdir(), 'member-'));
    const app = new App({ outdir });
    new MemberAccountStack(app, 'Member', {
      forwarder: { centralAccountId: CENTRAL, allowRemediation: true, roleNamePatterns: ['SageMaker*'] },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports[0]?.violations).toEqual([]);
  });
});
