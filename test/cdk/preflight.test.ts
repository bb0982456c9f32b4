import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { appShapeFromContext } from '../../lib/context.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';

const ENV = { account: '111122223333', region: 'us-east-1' };

function templateOf(props: SageMakerPermissionRemediatorProps): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new RemediatorStack(app, 'Test', { env: ENV, remediator: props }));
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
const statements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actions = (template: Template): string[] => statements(template).flatMap((s) => [s.Action].flat());

describe('the pre-flight check in the stack', () => {
  it('is off unless asked for', () => {
    const template = templateOf({});
    expect(actions(template)).not.toContain('ecr:GetRepositoryPolicy');
    expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain('CreateTrainingJob');
  });

  it('routes the successful Create call of every enabled job type, and only those', () => {
    // Act
    const template = templateOf({
      preflight: {},
      jobTypes: ['training', 'processing', 'transform', 'tuning', 'endpoint'],
    });
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: {
          eventName: [
            'CreateTrainingJob',
            'CreateProcessingJob',
            'CreateTransformJob',
            'CreateHyperParameterTuningJob',
            'CreateModel',
          ],
          errorCode: [{ exists: false }],
        },
      },
    });
    // A transform job runs as its model's role: the check reads the model its request names.
    const describeModel = statements(template).find((s) => s.Sid === 'ReadModelsOfTransformJobs');
    expect(describeModel?.Action).toBe('sagemaker:DescribeModel');
    expect(JSON.stringify(describeModel?.Resource)).toContain(':model/*');
  });

  it('stops each job type with its own Stop call, on its own jobs, and nothing for a model', () => {
    // Act
    const template = templateOf({
      preflight: { stopOnPreflightFailure: true },
      jobTypes: ['processing', 'tuning', 'endpoint'],
    });
    // Assess
    const stops = statements(template).filter((s) => s.Sid?.startsWith('StopJobsThatWillFail'));
    expect(stops.map((s) => [s.Action, JSON.stringify(s.Resource).match(/:([a-z-]+)\/\*/)?.[1]])).toEqual([
      ['sagemaker:StopProcessingJob', 'processing-job'],
      ['sagemaker:StopHyperParameterTuningJob', 'hyper-parameter-tuning-job'],
    ]);
  });

  it('routes only successful CreateTrainingJob calls to its own function, which may simulate roles and publish', () => {
    // Act
    const template = templateOf({ preflight: {} });
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['sagemaker.amazonaws.com'],
          eventName: ['CreateTrainingJob'],
          errorCode: [{ exists: false }],
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { STOP_ON_PREFLIGHT_FAILURE: 'false' } },
    });
    const sids = statements(template).map((s) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(['SimulateExecutionRoles', 'ReadRepositoryPolicies']));
    expect(actions(template)).not.toContain('sagemaker:StopTrainingJob');
  });

  it("17-5: routes only this account's and this region's calls, whatever a member forwards to the bus", () => {
    // Act
    const template = templateOf({
      preflight: { stopOnPreflightFailure: true },
      central: { organizationId: 'o-abc123' },
    });
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        account: [ENV.account],
        region: [ENV.region],
        detail: {
          recipientAccountId: [ENV.account],
          awsRegion: [ENV.region],
          errorCode: [{ exists: false }],
        },
      },
    });
  });

  it('refuses stopOnPreflightFailure without preflight', () => {
    const app = new App({ context: { stopOnPreflightFailure: 'true' } });
    expect(() => appShapeFromContext(app.node)).toThrow('stopOnPreflightFailure needs preflight=true');
  });

  it('may stop training jobs only with stopOnPreflightFailure, from context too', () => {
    // Prepare
    const app = new App({ context: { preflight: 'true', stopOnPreflightFailure: 'true' } });
    const shape = appShapeFromContext(app.node);
    const props = shape.kind === 'remediator' ? (shape.props.remediator ?? {}) : {};
    // Act
    const template = templateOf(props);
    // Assess
    expect(props.preflight).toEqual({ stopOnPreflightFailure: true });
    const stop = statements(template).find((s) => s.Sid === 'StopJobsThatWillFailStopTrainingJob');
    expect(stop?.Action).toBe('sagemaker:StopTrainingJob');
    expect(JSON.stringify(stop?.Resource)).toContain(':training-job/*');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { STOP_ON_PREFLIGHT_FAILURE: 'true' } },
    });
  });
});
