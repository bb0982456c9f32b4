import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appShapeFromContext } from '../../lib/context.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const shapeOf = (context: Record<string, unknown>) => appShapeFromContext(new App({ context }).node);

describe('context validation', () => {
  it.each([
    [{ autoRemediation: 'true' }, "unknown context key 'autoRemediation' (did you mean 'autoRemediate'?)"],
    [{ roleNamePatern: 'x*' }, "unknown context key 'roleNamePatern' (did you mean 'roleNamePatterns'?)"],
    [{ autoRemediate: 'True' }, "autoRemediate must be true or false, not 'True'"],
    [{ dryRun: 'yes' }, "dryRun must be true or false, not 'yes'"],
    [{ autoRemediate: 'true' }, 'autoRemediate needs at least one allowedAccounts entry'],
    [
      { slackWorkspaceId: 'T0123456789' },
      'slackWorkspaceId and slackChannelId go together: give both or neither',
    ],
    [{ autoRemediateResources: 's3://bucket' }, 'autoRemediateResources entries must be ARN globs (arn:...)'],
    [
      { slackWorkspaceId: 'T0123456789', slackChannelId: 'C0123456789' },
      'Slack approvals (slackWorkspaceId, slackChannelId) need allowedAccounts: the approver acts only in allowed accounts, so no click could succeed',
    ],
  ])('%j is refused: %s', (context, message) => {
    expect(() => shapeOf(context)).toThrow(message);
  });

  it('reports every problem at once, in one line', () => {
    expect(() => shapeOf({ autoRemediation: 'true', dryRun: 'True' })).toThrow(
      /^unknown context key 'autoRemediation' \(did you mean 'autoRemediate'\?\); dryRun must be true or false, not 'True'$/,
    );
  });

  it('accepts JSON values, comma lists and the CDK own keys', () => {
    const shape = shapeOf({
      autoRemediate: true,
      allowedAccounts: '111122223333, 444455556666',
      roleNamePatterns: ['SageMakerDev*'],
      autoRemediateResources: 'arn:aws:s3:::ml-data-*,arn:aws:s3:::ml-data-*/*',
      '@aws-cdk/core:checkSecretUsage': true,
      'cli-telemetry': false,
    });
    expect(shape).toEqual({
      kind: 'remediator',
      props: {
        remediator: expect.objectContaining({
          autoRemediate: true,
          allowedAccounts: ['111122223333', '444455556666'],
          roleNamePatterns: ['SageMakerDev*'],
          autoRemediateResources: ['arn:aws:s3:::ml-data-*', 'arn:aws:s3:::ml-data-*/*'],
        }),
        slack: undefined,
      },
    });
  });

  it('passes autoRemediateResources to the function as a JSON array', () => {
    const shape = shapeOf({ autoRemediateResources: 'arn:aws:s3:::ml-data-*' });
    if (shape.kind !== 'remediator') throw new Error('expected the remediator');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Template.fromStack(new RemediatorStack(app, 'Resources', shape.props)).hasResourceProperties(
      'AWS::Lambda::Function',
      { Environment: { Variables: { AUTO_REMEDIATE_RESOURCES: '["arn:aws:s3:::ml-data-*"]' } } },
    );
  });

  it('turns approvals on with a Chatbot channel subscribed to the topic when both Slack ids are given', () => {
    const shape = shapeOf({
      slackWorkspaceId: 'T0123456789',
      slackChannelId: 'C0123456789',
      allowedAccounts: '111122223333',
    });
    if (shape.kind !== 'remediator') throw new Error('expected the remediator');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new RemediatorStack(app, 'Slack', shape.props));
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123456789',
      SlackChannelId: 'C0123456789',
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
    expect(Object.keys(template.findResources('AWS::Chatbot::CustomAction'))).toHaveLength(2);
    expect(Stack.of(app.node.findChild('Slack')).stackName).toBe('Slack');
  });

  it('16-org-regions: centralRegion points member rules home and deploys the central stack there', () => {
    // Act
    const member = shapeOf({ memberOf: '111122223333', centralRegion: 'eu-west-1' });
    const central = shapeOf({ organizationId: 'o-abc123def4', centralRegion: 'eu-west-1' });
    // Assess
    expect(member).toMatchObject({ kind: 'member', forwarder: { centralRegion: 'eu-west-1' } });
    expect(central).toMatchObject({ kind: 'remediator', props: { env: { region: 'eu-west-1' } } });
    expect(() => shapeOf({ centralRegion: 'eu-west-1' })).toThrow(
      'centralRegion is for organization mode: give organizationId (central) or memberOf (member)',
    );
    expect(() => shapeOf({ memberOf: '111122223333', centralRegion: 'Ireland' })).toThrow(
      'centralRegion must be a region name such as us-east-1',
    );
  });

  it('the app prints one line and exits 1, without a stack trace', () => {
    // Prepare: the context the CDK CLI would pass for `-c autoRemediation=true`.
    const env = {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ autoRemediation: 'true' }),
      CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'context-')),
    };
    // Act
    const run = spawnSync('npx', ['tsx', 'bin/app.ts'], { cwd: ROOT, env, encoding: 'utf8' });
    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      "sagemaker-iam-remediator: unknown context key 'autoRemediation' (did you mean 'autoRemediate'?)",
    );
  });
});
