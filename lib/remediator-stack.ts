import type { StackProps } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
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
  }
}
