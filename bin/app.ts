#!/usr/bin/env node
/**
 * The CDK app: builds the remediator stack (or, with `-c memberOf=ACCOUNT`, the member-account
 * forwarder) from context and checks it with cdk-nag's AWS Solutions pack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { forwarderPropsFromContext, remediatorPropsFromContext } from '../lib/context.js';
import { MemberAccountStack } from '../lib/member-account-forwarder.js';
import { RemediatorStack } from '../lib/remediator-stack.js';

const app = new App();
const forwarder = forwarderPropsFromContext(app.node);
if (forwarder) {
  new MemberAccountStack(app, 'SageMakerIamRemediatorMember', {
    description: 'Forwards SageMaker failures to the central sagemaker-iam-remediator',
    forwarder,
  });
} else {
  new RemediatorStack(app, 'SageMakerIamRemediator', {
    description: 'Diagnoses failed SageMaker jobs and proposes least-privilege IAM fixes',
    remediator: remediatorPropsFromContext(app.node),
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
