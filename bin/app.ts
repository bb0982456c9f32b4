#!/usr/bin/env node
/** The CDK app: builds the stack from context and checks it with cdk-nag's AWS Solutions pack. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { remediatorPropsFromContext } from '../lib/context.js';
import { RemediatorStack } from '../lib/remediator-stack.js';

const app = new App();
new RemediatorStack(app, 'SageMakerIamRemediator', {
  description: 'Diagnoses failed SageMaker jobs and proposes least-privilege IAM fixes',
  remediator: remediatorPropsFromContext(app.node),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
