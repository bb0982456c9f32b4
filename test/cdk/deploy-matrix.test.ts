/**
 * The deploy matrix: every variant of README "How it runs in your account", built from context as
 * `bin/app.ts` builds it, synthesized in two regions (the central stack in its home region, the
 * member stack as the one template a StackSet deploys in both), checked by cdk-nag and by one cfn-lint
 * call, and checked that no account-global name repeats across the stacks one account would hold.
 * Bundling is skipped: what is tested is the templates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { appShapeFromContext } from '../../lib/context.js';
import { MemberAccountStack } from '../../lib/member-account-forwarder.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import { pythonTools } from '../support/python-tools.js';
import { resolve } from '../support/template-iam.js';

const ACCOUNT = '111122223333';
const CENTRAL = '999988887777';
const HOME = 'us-east-1';
const REGIONS = [HOME, 'eu-west-1'] as const;
const SLACK = { slackWorkspaceId: 'T0123456789', slackChannelId: 'C0123456789', allowedAccounts: ACCOUNT };

/** The README's variants, as the context that deploys each. */
const VARIANTS: Record<string, Record<string, unknown>> = {
  'single account': {},
  'approvals in Slack': SLACK,
  'auto-remediation': { autoRemediate: 'true', allowedAccounts: ACCOUNT, roleNamePatterns: 'SageMakerDev*' },
  'CloudTrail denials': {
    watchApiDenials: 'true',
    jobTypes: 'training,processing,transform,tuning,endpoint',
  },
  'pre-flight': { preflight: 'true', stopOnPreflightFailure: 'true' },
  'organization, central account': { organizationId: 'o-abc123def4', centralRegion: HOME, ...SLACK },
  'organization, member account': { memberOf: CENTRAL, centralRegion: HOME, autoRemediate: 'true' },
};

/** Properties that name a resource in the whole account (every region), by resource type. */
const ACCOUNT_GLOBAL_NAMES: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Chatbot::SlackChannelConfiguration': 'ConfigurationName',
  'AWS::Chatbot::MicrosoftTeamsChannelConfiguration': 'ConfigurationName',
  'AWS::Chatbot::CustomAction': 'ActionName',
};

interface Deployed {
  readonly variant: string;
  readonly region: string;
  readonly templatePath: string;
  readonly account: string;
}

type TemplateJson = {
  Conditions?: Record<string, { 'Fn::Equals'?: [unknown, unknown] }>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
};

/** The account-global names a template creates when deployed in `region` (conditions evaluated). */
function accountGlobalNames(deployed: Deployed): string[] {
  const template = JSON.parse(readFileSync(deployed.templatePath, 'utf8')) as TemplateJson;
  const env = { account: deployed.account, region: deployed.region };
  const holds = (condition: string | undefined): boolean => {
    if (!condition) return true;
    const [left, right] = (resolve(template.Conditions?.[condition]?.['Fn::Equals'], env) ?? []) as unknown[];
    return left === right;
  };
  return Object.values(template.Resources).flatMap((resource) => {
    const property = ACCOUNT_GLOBAL_NAMES[resource.Type];
    const name = property ? resource.Properties?.[property] : undefined;
    return name !== undefined && holds(resource.Condition)
      ? [`${resource.Type} ${String(resolve(name, env))}`]
      : [];
  });
}

/** Synthesizes each variant in each of its regions, with cdk-nag; returns where the templates are. */
function synthesizeMatrix(): { deployed: Deployed[]; nagViolations: unknown[] } {
  const deployed: Deployed[] = [];
  const nagViolations: unknown[] = [];
  for (const region of REGIONS) {
    const outdir = mkdtempSync(join(tmpdir(), `matrix-${region}-`));
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    for (const [variant, context] of Object.entries(VARIANTS)) {
      const id = variant.replace(/[^A-Za-z]+/g, '-');
      const shape = appShapeFromContext(new App({ context }).node);
      if (shape.kind === 'member') {
        // A StackSet deploys one environment-agnostic template in every region: synthesize it once.
        if (region !== HOME) continue;
        new MemberAccountStack(app, id, {
          stackName: 'SageMakerIamRemediatorMember',
          forwarder: shape.forwarder,
        });
        for (const target of REGIONS)
          deployed.push({
            variant,
            region: target,
            account: ACCOUNT,
            templatePath: join(outdir, `${id}.template.json`),
          });
        continue;
      }
      // The central stack lives in its home region only.
      if (shape.props.env?.region && shape.props.env.region !== region) continue;
      const account = shape.props.remediator?.central ? CENTRAL : ACCOUNT;
      new RemediatorStack(app, id, {
        ...shape.props,
        stackName: 'SageMakerIamRemediator',
        env: { account, region },
      });
      deployed.push({ variant, region, account, templatePath: join(outdir, `${id}.template.json`) });
    }
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    nagViolations.push(...report.pluginReports.flatMap((plugin) => plugin.violations));
  }
  return { deployed, nagViolations };
}

describe('the deploy matrix: every README variant, two regions', () => {
  const { deployed, nagViolations } = synthesizeMatrix();

  it('covers every variant in two regions (the central stack in its home only)', () => {
    expect(new Set(deployed.map((d) => d.variant))).toEqual(new Set(Object.keys(VARIANTS)));
    expect(deployed).toHaveLength(Object.keys(VARIANTS).length * REGIONS.length - 1);
  });

  it('has zero unsuppressed cdk-nag findings', () => {
    expect(nagViolations).toEqual([]);
  });

  it('passes cfn-lint, all templates in one call', () => {
    const lint = pythonTools().cfnLint;
    const templates = [...new Set(deployed.map((d) => d.templatePath))];
    // W3005: CDK adds an explicit DependsOn next to a GetAtt; harmless and not ours to change.
    const output = execFileSync(
      lint[0] ?? 'cfn-lint',
      [...lint.slice(1), '--ignore-checks', 'W3005', '--', ...templates],
      { encoding: 'utf8' },
    );
    expect(output).toBe('');
  }, 120_000);

  it('16-global-names: no account-global name repeats across the stacks one account holds', () => {
    // One account holds one variant in both regions; the organization's central account holds the
    // central stack (home region) and, as a member too, the member stack set's instances.
    const holdings = [
      ...Object.keys(VARIANTS).map((variant) => deployed.filter((d) => d.variant === variant)),
      deployed.filter((d) => d.variant.startsWith('organization')).map((d) => ({ ...d, account: CENTRAL })),
    ];
    for (const stacks of holdings) {
      const names = stacks.flatMap(accountGlobalNames);
      const repeated = names.filter((name, index) => names.indexOf(name) !== index);
      expect({ stacks: stacks.map((s) => `${s.variant}@${s.region}`), repeated }).toEqual({
        stacks: stacks.map((s) => `${s.variant}@${s.region}`),
        repeated: [],
      });
    }
  });
});
