import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';
import { SageMakerPermissionRemediator } from './sagemaker-permission-remediator.js';

export interface RemediatorStackProps extends StackProps {
  readonly remediator?: SageMakerPermissionRemediatorProps;
}

/** The deployable stack: one {@link SageMakerPermissionRemediator}. */
export class RemediatorStack extends Stack {
  public readonly remediator: SageMakerPermissionRemediator;

  public constructor(scope: Construct, id: string, props: RemediatorStackProps = {}) {
    super(scope, id, props);
    this.remediator = new SageMakerPermissionRemediator(this, 'Remediator', props.remediator);
    new CfnOutput(this, 'TopicArn', {
      value: this.remediator.topic.topicArn,
      description: 'Subscribe email, or an AWS Chatbot Slack channel, to receive the proposals',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.remediator.deadLetterQueue.queueUrl,
      description: 'Failed-job events that could not be processed wait here',
    });
  }
}
