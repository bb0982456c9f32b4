import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';
import {
  APPROVER_NAME_LIMIT,
  SageMakerPermissionRemediator,
  validateProps,
} from '../../lib/sagemaker-permission-remediator.js';
import { approvalsTemplate } from '../helpers/approvals-stack.js';
import { pythonTools } from '../support/python-tools.js';

const ENV = { account: '111122223333', region: 'us-east-1' };

/** Template assertions skip bundling; the real synth below bundles. */
function templateOf(props: SageMakerPermissionRemediatorProps = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new RemediatorStack(app, 'Test', { env: ENV, remediator: props }));
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };
function roleStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}
/** Renders `Fn::Join` with the partition pseudo-parameter as the ARN string it becomes in `aws`. */
const resolved = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(resolved);
  if (value && typeof value === 'object') {
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join)
      return join[1]
        .map((part) => ((part as { Ref?: string }).Ref === 'AWS::Partition' ? 'aws' : part))
        .join(join[0]);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolved(v)]));
  }
  return value;
};
const statementWithSid = (statements: Statement[], sid: string) =>
  resolved(statements.find((s) => s.Sid === sid));

const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the stack template', () => {
  const template = templateOf();

  it('names the grant-records table in an output once something writes grants, and has none otherwise', () => {
    // Prepare, Act
    const writing = templateOf({ autoRemediate: true, allowedAccounts: [ENV.account] });
    // Assess
    expect(Object.keys(template.findOutputs('GrantRecordsTableName'))).toEqual([]);
    writing.hasOutput('GrantRecordsTableName', {
      Value: { Ref: Match.stringLikeRegexp('GrantRecordsTable') },
    });
  });

  it('routes exactly failed training jobs from the default bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Training Job State Change'],
        detail: { TrainingJobStatus: ['Failed'] },
      },
      State: 'ENABLED',
    });
    // The other rule is the incident flush (test/cdk/incidents.test.ts).
    const failureRules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: Match.anyValue() },
    });
    expect(Object.keys(failureRules)).toHaveLength(1);
  });

  it('adds one rule per enabled job type', () => {
    const rules = templateOf({ jobTypes: ['training', 'processing', 'transform'] }).findResources(
      'AWS::Events::Rule',
    );
    const patterns = Object.values(rules).map(
      (r) => (r as { Properties: { EventPattern: unknown } }).Properties.EventPattern,
    );
    expect(patterns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ detail: { ProcessingJobStatus: ['Failed'] } }),
        expect.objectContaining({ detail: { TransformJobStatus: ['Failed'] } }),
      ]),
    );
  });

  it('gives the target a retry policy and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetterQueue'), 'Arn'] } },
      },
    });
  });

  it('runs the latest Node.js runtime on arm64 with bounded timeout and memory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 60,
      MemorySize: 512,
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('encrypts the topic with a rotated customer managed key and enforces TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("lets this account's alarms, and only them, publish to the topic and use its key", () => {
    // The topic policy replaces SNS's default one: without this Allow the alarms cannot publish.
    const topicPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    };
    const allows = topicPolicy.Properties.PolicyDocument.Statement.filter(
      (s) => (s as { Effect?: string }).Effect === 'Allow',
    );
    expect(resolved(allows)).toEqual([
      {
        Sid: 'AlarmsOfThisAccountPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/Topic/) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': ENV.account },
          ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${ENV.region}:${ENV.account}:alarm:*` },
        },
      },
    ]);
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0] as {
      Properties: { KeyPolicy: { Statement: (Statement & { Principal?: unknown })[] } };
    };
    const forCloudWatch = key.Properties.KeyPolicy.Statement.filter((s) =>
      JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(forCloudWatch).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': ENV.account } },
      }),
    ]);
  });

  it('counts skipped events from the handler log line', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "event skipped" }',
      MetricTransformations: [
        { MetricNamespace: 'SageMakerIamRemediator', MetricName: 'SkippedEvents', MetricValue: '1' },
      ],
    });
  });

  it('alarms on function errors and on DLQ depth to the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) =>
        (a as { Properties: { MetricName: string; Namespace: string; AlarmActions: unknown[] } }).Properties,
    );
    expect(alarms.map((a) => `${a.Namespace}/${a.MetricName}`).sort()).toEqual([
      'AWS/Lambda/Errors',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
    ]);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/Topic/) }]);
  });

  it('grants the function exactly what it needs, with no wildcard action and no PutRolePolicy', () => {
    const statements = roleStatements(template);
    const actions = actionsOf(statements);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    const allowed = actionsOf(statements.filter((s) => (s as { Effect?: string }).Effect === 'Allow'));
    expect(allowed).not.toContain('iam:PutRolePolicy');
    expect(statementWithSid(statements, 'DescribeFailedJobs')).toEqual({
      Sid: 'DescribeFailedJobs',
      Effect: 'Allow',
      Action: 'sagemaker:DescribeTrainingJob',
      Resource: 'arn:aws:sagemaker:us-east-1:111122223333:training-job/*',
    });
    expect(statementWithSid(statements, 'VerifyProposals')).toEqual({
      Sid: 'VerifyProposals',
      Effect: 'Allow',
      Action: 'iam:SimulatePrincipalPolicy',
      Resource: 'arn:aws:iam::111122223333:role/*',
    });
    expect(actions).toContain('sns:Publish');
  });

  it('adds PutRolePolicy only with autoRemediate, only on roles matching the patterns', () => {
    const statements = roleStatements(
      templateOf({
        autoRemediate: true,
        allowedAccounts: ['111122223333'],
        roleNamePatterns: ['SageMakerExec*'],
      }),
    );
    expect(statementWithSid(statements, 'AttachFixesToRolesMatchingPatterns')).toEqual({
      Sid: 'AttachFixesToRolesMatchingPatterns',
      Effect: 'Allow',
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      Resource: [
        'arn:aws:iam::111122223333:role/SageMakerExec*',
        'arn:aws:iam::111122223333:role/*/SageMakerExec*',
      ],
    });
  });

  it('limits PutRolePolicy on any other role to roles carrying the opt-in tag', () => {
    const statements = roleStatements(templateOf({ autoRemediate: true, allowedAccounts: ['111122223333'] }));
    expect(statements.find((s) => s.Sid === 'AttachFixesToRolesMatchingPatterns')).toBeUndefined();
    expect(statements.find((s) => s.Sid === 'AttachFixesToTaggedRoles')?.Condition).toEqual({
      StringEquals: { 'iam:ResourceTag/sagemaker-iam-remediator:auto': 'true' },
    });
  });

  it('subscribes notifyEmails and publishes to an existing topic when given one', () => {
    templateOf({ notifyEmails: ['ml-platform@example.com'] }).hasResourceProperties(
      'AWS::SNS::Subscription',
      {
        Protocol: 'email',
        Endpoint: 'ml-platform@example.com',
      },
    );
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new RemediatorStack(app, 'Existing', { env: ENV });
    const imported = new SageMakerPermissionRemediator(stack, 'Second', {
      topic: stack.remediator.topic,
    });
    expect(imported.topic).toBe(stack.remediator.topic);
  });
});

describe('other job types', () => {
  it('adds tuning and endpoint failures with their own status spelling and describe permissions', () => {
    const template = templateOf({ jobTypes: ['training', 'tuning', 'endpoint'] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker HyperParameter Tuning Job State Change'],
        detail: { HyperParameterTuningJobStatus: ['Failed'] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Endpoint State Change'],
        detail: { EndpointStatus: ['FAILED'] },
      },
    });
    const describe = statementWithSid(roleStatements(template), 'DescribeFailedJobs') as {
      Action: string[];
      Resource: string[];
    };
    expect(describe.Action).toEqual([
      'sagemaker:DescribeTrainingJob',
      'sagemaker:DescribeHyperParameterTuningJob',
      'sagemaker:DescribeEndpoint',
      'sagemaker:DescribeEndpointConfig',
      'sagemaker:DescribeModel',
    ]);
    expect(describe.Resource).toEqual([
      'arn:aws:sagemaker:us-east-1:111122223333:training-job/*',
      'arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/*',
      'arn:aws:sagemaker:us-east-1:111122223333:endpoint/*',
      'arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/*',
      'arn:aws:sagemaker:us-east-1:111122223333:model/*',
    ]);
  });
});

describe('one-click approval from Slack', () => {
  const commandTexts = (template: Template): string[] =>
    Object.values(template.findResources('AWS::Chatbot::CustomAction')).map(
      (a) => (a as { Properties: { Definition: { CommandText: string } } }).Properties.Definition.CommandText,
    );

  // Written by hand from the Chatbot custom action schema: one row per button.
  it.each([
    ['Apply this fix', 'sir-apply-fix-', '{"proposalId":"$proposalId"}', 'proposalId'],
    ['19-undo: Undo this fix', 'sir-undo-fix-', '{"undo":"$undoId"}', 'undoId'],
  ])(
    'adds the %s button: a custom action that invokes the approver by its explicit name, on the given channel',
    (title, actionPrefix, payload, variable) => {
      // Prepare, Act
      const template = approvalsTemplate();
      // Assess
      const command = commandTexts(template).find((text) => text.endsWith(payload));
      const name = /--function-name (\S+) /.exec(command ?? '')?.[1];
      expect(name).toMatch(/^sir-approve-[0-9a-f]{10}$/);
      expect(command).toBe(`lambda invoke --function-name ${name} --payload ${payload}`);
      template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: name });
      template.hasResourceProperties('AWS::Chatbot::CustomAction', {
        ActionName: Match.stringLikeRegexp(`^${actionPrefix}[0-9a-f]{10}-us-east-1$`),
        Attachments: [
          {
            NotificationType: 'Custom',
            ButtonText: title.replace(/^19-undo: /, ''),
            Variables: { [variable]: `event.metadata.additionalContext.${variable}` },
            Criteria: [{ VariableName: variable, Operator: 'HAS_VALUE' }],
          },
        ],
      });
      template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        CustomizationResourceArns: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('ApplyFixAction'), 'CustomActionArn'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('UndoFixAction'), 'CustomActionArn'] },
        ],
        SnsTopicArns: [{ Ref: Match.stringLikeRegexp('Topic') }],
      });
      const invoke = roleStatements(template).find((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
      expect(JSON.stringify(invoke?.Resource)).toMatch(/Approver/);
    },
  );

  it.each([
    ['default names', {}],
    ['central mode', { central: { organizationId: 'o-abc123def4' } }],
    ['a name at the limit', { approvals: { approverFunctionName: 'a'.repeat(APPROVER_NAME_LIMIT) } }],
  ] as const)('keeps the chat command within Chatbot API limit of 100 characters: %s', (_name, props) => {
    const texts = commandTexts(approvalsTemplate(props as SageMakerPermissionRemediatorProps));
    expect(texts).toHaveLength(2);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(100);
  });

  it('gives each stack its own approver and action names, and refuses a name too long for the command', () => {
    const names = ['One', 'Two'].flatMap((stack) => commandTexts(approvalsTemplate({}, stack)));
    expect(new Set(names).size).toBe(4);
    expect(() =>
      approvalsTemplate({
        approvals: { approverFunctionName: 'a'.repeat(APPROVER_NAME_LIMIT + 1) },
      } as never),
    ).toThrow(`approverFunctionName must be at most ${APPROVER_NAME_LIMIT} characters`);
  });

  it('lets the approver write exactly the roles the remediator may; the remediator writes them for the daily cleanup only', () => {
    const statements = roleStatements(approvalsTemplate({ roleNamePatterns: ['SageMakerDev*'] }));
    const attach = statements.filter((s) => s.Sid === 'AttachFixesToRolesMatchingPatterns').map(resolved);
    // The approver's, and the function's for removing expired grants (the guard lets it only remove).
    const writeMatching = {
      Sid: 'AttachFixesToRolesMatchingPatterns',
      Effect: 'Allow',
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      Resource: [
        'arn:aws:iam::111122223333:role/SageMakerDev*',
        'arn:aws:iam::111122223333:role/*/SageMakerDev*',
      ],
    };
    expect(attach).toEqual([writeMatching, writeMatching]);
    expect(
      statements.filter(
        (s) => actionsOf([s]).includes('iam:PutRolePolicy') && s.Sid !== 'NeverWriteTheServicesOwnRoles',
      ),
    ).toHaveLength(4);
    const dynamo = statements.filter((s) =>
      actionsOf([s]).some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:GetItem'),
    );
    expect(dynamo.map((s) => actionsOf([s]))).toEqual(
      expect.arrayContaining([['dynamodb:PutItem'], ['dynamodb:GetItem', 'dynamodb:UpdateItem']]),
    );
  });

  it('16-guardrail: the channel may only invoke the approver, whatever guardrails it already had', () => {
    // Prepare, Act
    const template = approvalsTemplate();
    // Assess
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [id, guardrail] = Object.entries(policies)[0] as [
      string,
      { Properties: { PolicyDocument: { Statement: unknown[] } } },
    ];
    expect(guardrail.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/Approver/), 'Arn'] },
      },
    ]);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      GuardrailPolicies: [{ Ref: id }],
    });
  });

  it('16-approver-timeout: the approver outlives a late chat reply, so its write is always recorded', () => {
    // Chatbot stops waiting after about 15 seconds; the function's own timeout must not cut the write.
    const approver = Object.values(approvalsTemplate().findResources('AWS::Lambda::Function')).find((fn) =>
      /^sir-approve-/.test(String((fn as { Properties: { FunctionName?: string } }).Properties.FunctionName)),
    ) as { Properties: { Timeout: number } };
    expect(approver.Properties.Timeout).toBeGreaterThanOrEqual(60);
  });

  it('16-no-allowed-account: approvals that no account allows are refused', () => {
    expect(() => approvalsTemplate({ allowedAccounts: [] })).toThrow(
      'approvals need at least one allowedAccounts entry',
    );
  });

  it('passes the guard settings to the approver and the grant cleanup as to the function', () => {
    const template = approvalsTemplate({
      allowedAccounts: ['111122223333'],
      roleNamePatterns: ['SageMakerDev*'],
      autoRemediateResources: ['arn:aws:s3:::ml-data-*'],
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties,
    );
    expect(functions).toHaveLength(3);
    for (const fn of functions)
      expect(fn.Environment.Variables).toMatchObject({
        ALLOWED_ACCOUNTS: '111122223333',
        ROLE_NAME_PATTERNS: 'SageMakerDev*',
        AUTO_REMEDIATE_RESOURCES: '["arn:aws:s3:::ml-data-*"]',
      });
  });
});

describe("the service's own roles", () => {
  it("are never writable, even with roleNamePatterns='*': an explicit Deny on every writer", () => {
    const template = approvalsTemplate({ autoRemediate: true, roleNamePatterns: ['*'] }, 'Own');
    const denies = roleStatements(template).filter((s) => s.Sid === 'NeverWriteTheServicesOwnRoles');
    // The function, the approver and the grant cleanup.
    expect(denies).toHaveLength(3);
    for (const deny of denies) {
      expect(deny).toMatchObject({ Effect: 'Deny', Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'] });
      const resources = JSON.stringify(deny.Resource);
      expect(resources).toMatch(/FunctionRole.*Arn/);
      expect(resources).toMatch(/ApproverRole.*Arn/);
      expect(resources).toMatch(/GrantCleanupRole.*Arn/);
      expect(resources).toContain(':role/Own-*');
      expect(resources).toContain(':role/sagemaker-iam-remediator-member');
    }
  });
});

describe('denials that never make a job', () => {
  it('routes denied Create*Job calls from CloudTrail only when watchApiDenials is on', () => {
    expect(
      Object.keys(
        templateOf().findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.anyValue() } }),
      ),
    ).toHaveLength(1);
    templateOf({ watchApiDenials: true, jobTypes: ['training', 'processing'] }).hasResourceProperties(
      'AWS::Events::Rule',
      {
        EventPattern: {
          source: ['aws.sagemaker'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['sagemaker.amazonaws.com'],
            eventName: ['CreateTrainingJob', 'CreateProcessingJob'],
            errorCode: ['AccessDenied', 'AccessDeniedException'],
          },
        },
      },
    );
  });
});

describe('props validation', () => {
  it('reports every problem at once', () => {
    expect(
      validateProps({
        autoRemediate: true,
        notifyEmails: ['not-an-email'],
        roleNamePatterns: ['bad/pattern'],
        allowedAccounts: [],
      }),
    ).toEqual([
      'autoRemediate needs at least one allowedAccounts entry',
      'notifyEmails entries must be email addresses',
      'roleNamePatterns may use role-name characters and * only',
    ]);
    expect(() => templateOf({ allowedAccounts: ['12'] })).toThrow(/12-digit/);
  });
});

describe('the real synth', () => {
  // A real synth with bundling, cdk-nag and cfn-lint, for each shape of the construct.
  const slackChannel = (stack: Stack) => ({
    slackChannel: new chatbot.SlackChannelConfiguration(stack, 'Channel', {
      slackChannelConfigurationName: 'ml-platform',
      slackWorkspaceId: 'T0123456789',
      slackChannelId: 'C0123456789',
    }),
  });
  it.each([
    ['default', () => ({})],
    [
      'auto-remediation',
      () => ({
        autoRemediate: true,
        allowedAccounts: ['111122223333'],
        roleNamePatterns: ['SageMaker*'],
        jobTypes: ['training', 'processing', 'tuning', 'endpoint'] as const,
        watchApiDenials: true,
      }),
    ],
    [
      'approvals from Slack',
      (stack: Stack) => ({ allowedAccounts: ['111122223333'], approvals: slackChannel(stack) }),
    ],
    ['central mode for an organization', () => ({ central: { organizationId: 'o-abc123def4' } })],
    ['pre-flight that stops certain failures', () => ({ preflight: { stopOnPreflightFailure: true } })],
  ] as const)(
    '%s: zero unsuppressed cdk-nag findings and a clean cfn-lint',
    (_name, props) => {
      // Prepare
      const outdir = mkdtempSync(join(tmpdir(), 'synth-'));
      const app = new App({ outdir });
      const stack = new Stack(app, 'SageMakerIamRemediator');
      new SageMakerPermissionRemediator(
        stack,
        'Remediator',
        props(stack) as SageMakerPermissionRemediatorProps,
      );
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      // Act
      app.synth();
      // Assess
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: {
          conclusion: string;
          violations: unknown[];
          suppressedViolations: { ruleName: string }[];
        }[];
      };
      expect(report.pluginReports[0]?.violations).toEqual([]);
      expect(report.pluginReports[0]?.conclusion).toBe('success');
      const lint = pythonTools().cfnLint;
      // W3005: CDK adds an explicit DependsOn next to a GetAtt; harmless and not ours to change.
      const output = execFileSync(
        lint[0] ?? 'cfn-lint',
        [
          ...lint.slice(1),
          '--ignore-checks',
          'W3005',
          '--',
          join(outdir, 'SageMakerIamRemediator.template.json'),
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(output).toBe('');
      // Bundling every function takes a while on a loaded machine.
    },
    180_000,
  );

  it('17-6: gives the function its own account, the only one it acts in outside central mode', () => {
    // Act
    const template = templateOf();
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HOME_ACCOUNT_ID: ENV.account }) },
    });
  });
});
