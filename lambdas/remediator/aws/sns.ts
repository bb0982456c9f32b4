/** Publishes a notification built by the core. */
import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SnsNotification } from '../../core/notification.js';

export async function publish(
  client: SNSClient,
  topicArn: string,
  notification: SnsNotification,
): Promise<string> {
  const result = await client.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: notification.subject,
      MessageStructure: 'json',
      Message: notification.message,
      MessageAttributes: Object.fromEntries(
        Object.entries(notification.attributes).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
  return result.MessageId ?? '';
}
