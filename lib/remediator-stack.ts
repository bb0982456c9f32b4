import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import type { Construct } from 'constructs';
import type { SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';
import { SageMakerPermissionRemediator } from './sagemaker-permission-remediator.js';

export interface RemediatorStackProps extends StackProps {
  readonly remediator?: SageMakerPermissionRemediatorProps;
  /**
   * A Slack channel already authorized in AWS Chatbot: the stack creates a Chatbot channel
   * configuration for it, subscribed to the topic, with one-click approvals.
   * @default - no chat channel, no approvals (unless `remediator.approvals` brings its own)
   */
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
}

/** The deployable stack: one {@link SageMakerPermissionRemediator}, and its Slack channel if given. */
export class RemediatorStack extends Stack {
  public readonly remediator: SageMakerPermissionRemediator;

  public constructor(scope: Construct, id: string, props: RemediatorStackProps = {}) {
    super(scope, id, props);
    const slackChannel = props.slack
      ? new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
          // Configuration names are unique in the account across regions, and at most 128 characters.
          slackChannelConfigurationName: `${this.stackName.slice(0, 100)}-${this.region}-approvals`,
          slackWorkspaceId: props.slack.workspaceId,
          slackChannelId: props.slack.channelId,
        })
      : undefined;
    this.remediator = new SageMakerPermissionRemediator(this, 'Remediator', {
      ...props.remediator,
      approvals: props.remediator?.approvals ?? (slackChannel ? { slackChannel } : undefined),
    });
    new CfnOutput(this, 'TopicArn', {
      value: this.remediator.topic.topicArn,
      description: 'Subscribe email, or an AWS Chatbot Slack channel, to receive the proposals',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.remediator.deadLetterQueue.queueUrl,
      description: 'Failed-job events that could not be processed wait here',
    });
    const records = this.remediator.grantRecordsTable;
    if (records)
      new CfnOutput(this, 'GrantRecordsTableName', {
        value: records.tableName,
        description: 'Why each grant was written: sagemaker-iam-remediator grants --records-table <this>',
      });
  }
}
