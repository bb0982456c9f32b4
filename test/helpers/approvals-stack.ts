/** The template of a remediator with chat approvals in one Slack channel, as CDK tests synthesize it (no bundling). */
import { App, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import { Template } from 'aws-cdk-lib/assertions';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';
import { SageMakerPermissionRemediator } from '../../lib/sagemaker-permission-remediator.js';

/** The account and region of the CDK tests' stacks. */
export const TEST_ENV = { account: '111122223333', region: 'us-east-1' } as const;

/** Approvals in a channel, the stack's own account allowed unless `props` says otherwise. */
export function approvalsTemplate(
  props: SageMakerPermissionRemediatorProps = {},
  stackName = 'Approvals',
): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, stackName, { env: TEST_ENV });
  const slackChannel = new chatbot.SlackChannelConfiguration(stack, 'Channel', {
    slackChannelConfigurationName: 'ml-platform',
    slackWorkspaceId: 'T0123456789',
    slackChannelId: 'C0123456789',
  });
  new SageMakerPermissionRemediator(stack, 'Remediator', {
    allowedAccounts: [TEST_ENV.account],
    ...props,
    approvals: { slackChannel, ...props.approvals },
  });
  return Template.fromStack(stack);
}
