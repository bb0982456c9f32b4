/** Stores proposals a human may approve from the chat channel, and reads them back for the approver. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApprovalRecord } from '../../core/approval.js';

/** How long a proposal can be approved: a week covers a weekend and a holiday. */
export const PROPOSAL_TTL_SECONDS = 7 * 24 * 60 * 60;

export async function storeProposal(
  client: DynamoDBClient,
  tableName: string,
  record: ApprovalRecord,
  now = Date.now(),
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        id: { S: record.proposalId },
        record: { S: JSON.stringify(record) },
        expiration: { N: String(Math.floor(now / 1000) + PROPOSAL_TTL_SECONDS) },
      },
    }),
  );
}

/** The stored record, or undefined when it never existed or has expired. */
export async function loadProposal(
  client: DynamoDBClient,
  tableName: string,
  proposalId: string,
  now = Date.now(),
): Promise<ApprovalRecord | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: proposalId } }, ConsistentRead: true }),
  );
  // DynamoDB deletes expired items lazily: an expired one may still be read.
  if (!Item?.record?.S || Number(Item.expiration?.N ?? 0) * 1000 < now) return undefined;
  return JSON.parse(Item.record.S) as ApprovalRecord;
}
