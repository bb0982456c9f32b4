/** The stack's part of incidents: the flush rule, the window the function reads, bounded concurrency. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appShapeFromContext } from '../../lib/context.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';
import { validateProps } from '../../lib/sagemaker-permission-remediator.js';
import { FLUSH_INCIDENTS_EVENT } from '../../lambdas/core/incident.js';

const ENV = { account: '111122223333', region: 'us-east-1' };

function templateOf(props: SageMakerPermissionRemediatorProps = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new RemediatorStack(app, 'Test', { env: ENV, remediator: props }));
}

const remediatorFunction = (template: Template) =>
  Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { INCIDENT_WINDOW_MINUTES: Match.anyValue() } } },
    }),
  )[0] as {
    Properties: { ReservedConcurrentExecutions?: number; Environment: { Variables: Record<string, string> } };
  };

describe('incidents in the stack', () => {
  it('flushes due incidents every minute through the function, with the DLQ behind it, and reserves no concurrency unless asked', () => {
    // Act
    const template = templateOf();
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Input: JSON.stringify(FLUSH_INCIDENTS_EVENT),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 1800 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    const fn = remediatorFunction(template);
    expect(fn.Properties.Environment.Variables.INCIDENT_WINDOW_MINUTES).toBe('15');
    // 16-concurrency: a reservation fails the deploy in accounts whose concurrency quota is 10.
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('gives the table a sparse index of incidents waiting for a digest, which the function may query', () => {
    // Act
    const template = templateOf();
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'waiting-incidents',
          KeySchema: [
            { AttributeName: 'waitingShard', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/dynamodb:Query/);
    // Query on the index alone, never on `index/*` or the table.
    expect(policies).toMatch(/\/index\/waiting-incidents/);
    expect(policies).not.toMatch(/\/index\/\*/);
  });

  it('takes the window and the concurrency from context; a window of 0 has no flush rule', () => {
    // Prepare
    const app = new App({ context: { incidentWindowMinutes: '0', maxConcurrency: '4' } });
    // Act
    const shape = appShapeFromContext(app.node);
    if (shape.kind !== 'remediator') throw new Error('expected the remediator stack');
    const props = shape.props.remediator;
    const template = templateOf(props);
    // Assess
    expect(props).toMatchObject({ incidentWindowMinutes: 0, maxConcurrency: 4 });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 0);
    expect(remediatorFunction(template).Properties.ReservedConcurrentExecutions).toBe(4);
  });

  it('reports a window or a concurrency that is not a whole number', () => {
    expect(validateProps({ incidentWindowMinutes: -1, maxConcurrency: 0 })).toEqual([
      'incidentWindowMinutes must be a whole number of minutes, 0 or more',
      'maxConcurrency must be a whole number, 1 or more',
    ]);
    expect(validateProps({ incidentWindowMinutes: 2.5, maxConcurrency: Number.NaN })).toHaveLength(2);
  });
});
