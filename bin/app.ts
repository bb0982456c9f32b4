#!/usr/bin/env node
/**
 * The CDK app: builds the remediator stack (or, with `-c memberOf=ACCOUNT`, the member-account
 * forwarder) from context and checks it with cdk-nag's AWS Solutions pack. A context mistake prints
 * one line and exits 1.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { appShapeFromContext, ContextError } from '../lib/context.js';
import { MemberAccountStack } from '../lib/member-account-forwarder.js';
import { RemediatorStack } from '../lib/remediator-stack.js';

const app = new App();
try {
  const shape = appShapeFromContext(app.node);
  if (shape.kind === 'member') {
    new MemberAccountStack(app, 'SageMakerIamRemediatorMember', {
      description: 'Forwards SageMaker failures to the central sagemaker-iam-remediator',
      forwarder: shape.forwarder,
    });
  } else {
    new RemediatorStack(app, 'SageMakerIamRemediator', {
      description: 'Diagnoses failed SageMaker jobs and proposes least-privilege IAM fixes',
      ...shape.props,
    });
  }
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  process.stderr.write(`sagemaker-iam-remediator: ${error.message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
