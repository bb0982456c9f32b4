/**
 * Stores proposals a human may approve from the chat channel, reads them back for the approver, and
 * moves each one through its states with conditional writes, so that a proposal is used once.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ApprovalState, ProposalRecord } from '../../core/approval.js';
import { APPROVAL_STATES } from '../../core/approval.js';

/** How long a proposal can be approved: a week covers a weekend and a holiday. */
export const PROPOSAL_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Stores a proposal unless it exists and was decided already: a duplicate event must not reopen a
 * proposal that was applied, refused or expired.
 */
export async function storeProposal(
  client: DynamoDBClient,
  tableName: string,
  record: ProposalRecord,
  now = Date.now(),
): Promise<void> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          id: { S: record.proposalId },
          record: { S: JSON.stringify(record) },
          expiration: { N: String(Math.floor(now / 1000) + PROPOSAL_TTL_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(#state)',
        ExpressionAttributeNames: { '#state': 'state' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** A stored proposal as the table holds it; `record` is untrusted JSON until the core has read it. */
export interface StoredProposal {
  readonly record: unknown;
  /** Epoch milliseconds after which the proposal can no longer be approved. */
  readonly expiresAt: number;
  readonly state?: ApprovalState;
  /** ISO time of the last state change. */
  readonly decidedAt?: string;
  readonly approvedBy?: string;
}

const STATES: ReadonlySet<string> = new Set(Object.values(APPROVAL_STATES));

/** An item's `record` attribute: JSON written by the service, read back as untrusted (undefined if not JSON). */
export function storedJsonOf(item: Readonly<Record<string, { readonly S?: string }>>): unknown {
  try {
    return JSON.parse(item.record?.S ?? 'null');
  } catch {
    return undefined;
  }
}

/** The stored proposal, or undefined when none has this id (DynamoDB deletes expired items lazily). */
export async function loadProposal(
  client: DynamoDBClient,
  tableName: string,
  proposalId: string,
): Promise<StoredProposal | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: proposalId } }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const record = storedJsonOf(Item);
  const state = Item.state?.S;
  return {
    record,
    expiresAt: Number(Item.expiration?.N ?? 0) * 1000,
    // An unknown state still counts as decided: only a proposal without one is open.
    state:
      state === undefined
        ? undefined
        : STATES.has(state)
          ? (state as ApprovalState)
          : APPROVAL_STATES.refused,
    decidedAt: Item.decidedAt?.S,
    approvedBy: Item.approvedBy?.S,
  };
}

/**
 * Moves a proposal to `to` if it is still in `from` (undefined: open). Returns false when another
 * click moved it first, or when it does not exist.
 */
export async function moveProposal(
  client: DynamoDBClient,
  tableName: string,
  proposalId: string,
  transition: {
    readonly from?: ApprovalState;
    readonly to: ApprovalState;
    readonly at: Date;
    readonly approvedBy?: string;
    readonly reason?: string;
  },
): Promise<boolean> {
  const set = ['#state = :to', 'decidedAt = :at'];
  const values: Record<string, { S: string }> = {
    ':to': { S: transition.to },
    ':at': { S: transition.at.toISOString() },
  };
  if (transition.approvedBy) {
    set.push('approvedBy = :by');
    values[':by'] = { S: transition.approvedBy };
  }
  if (transition.reason) {
    set.push('reason = :reason');
    values[':reason'] = { S: transition.reason.slice(0, 1_000) };
  }
  if (transition.from) values[':from'] = { S: transition.from };
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: proposalId } },
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression: transition.from
          ? 'attribute_exists(id) AND #state = :from'
          : 'attribute_exists(id) AND attribute_not_exists(#state)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
