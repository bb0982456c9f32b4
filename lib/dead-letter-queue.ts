import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * An encrypted, TLS-only queue that keeps undeliverable events for 14 days. `deadLetterOf` says what
 * it catches, for cdk-nag's acknowledgement that a dead-letter queue needs no queue of its own.
 */
export function deadLetterQueue(scope: Construct, deadLetterOf: string): sqs.Queue {
  const queue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${deadLetterOf}.`,
  });
  return queue;
}
