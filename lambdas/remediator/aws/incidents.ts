/**
 * Incidents in the DynamoDB table the service already has (the idempotency table, keyed by `id`,
 * expiring on `expiration`). Every write is one atomic conditional write, so concurrent invocations
 * never lose a job, and no item grows with the number of causes:
 *
 * - `incident#<cause key>`: the incident. Its first failure opens it with a conditional put (the
 *   failed condition returns the incident that is open, so a retry of the first job is recognised).
 *   A later failure adds its job name to the string set `jobs` (a set: a retried event is not counted
 *   twice) and sets `waitingShard`, which puts the incident in the sparse index the flush queries.
 * - No index item: the flush queries the `waiting-incidents` index shard by shard for incidents due.
 *   An incident that never had a later job needs no digest; it expires on `expiration`, and a failure
 *   of the same cause after its window opens a new incident in its place.
 *
 * A flush takes a short lease on the incident, publishes one digest of the jobs in the set, removes
 * exactly those jobs from it (jobs recorded meanwhile stay for the next digest) and, when the window
 * has closed, deletes the incident only if no job arrived since.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DigestError } from '../../core/errors.js';
import type { IncidentOptions, IncidentRecord } from '../../core/incident.js';
import {
  causeKeyOf,
  causeOf,
  digestNotificationOf,
  firstMessageOf,
  INCIDENT_DEFAULTS,
  jobIdOf,
  WAITING_INCIDENTS_INDEX,
  waitingShardOf,
} from '../../core/incident.js';
import type { SnsNotification } from '../../core/notification.js';
import type { Outcome } from '../../core/render.js';
import type { JobContext } from '../../core/types.js';
import type { RemediatorConfig } from '../config.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { publish } from './sns.js';

/** A flush holds its lease this long: longer than the function's timeout. */
const LEASE_MS = 2 * 60 * 1000;
/** An incident's record outlives its window by a day, for retries and for people looking into it. */
const RETENTION_MS = 24 * 60 * 60 * 1000;
/** After this many failed attempts a digest is given up: its text goes to the DLQ in the error. */
export const MAX_DIGEST_ATTEMPTS = 5;
/** Stragglers recorded while a closing digest is sent get a follow-up digest, a few times at most. */
const MAX_CLOSING_ROUNDS = 3;
/** Opening and joining race with a closing flush; each lost race is retried, a few times at most. */
const MAX_RECORD_ROUNDS = 3;
/** Due incidents flushed at the same time by one flush. */
const FLUSH_CONCURRENCY = 8;
/**
 * A flush starts no incident with less than this left of its invocation: a digest published but not
 * yet taken out of its incident when the function times out would be published again by the next
 * flush. What is left waits for the next scheduled flush, a minute later.
 */
export const FLUSH_RESERVE_MS = 15_000;

export interface IncidentStoreOptions extends IncidentOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** Only warnings: an early digest that could not be sent waits for the next flush. */
  readonly logger: Pick<Logger, 'warn'>;
  /** The clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** What recording a failure decided: publish it now (`first`), or leave it to the digest. */
export interface Recorded {
  readonly role: 'first' | 'later';
  readonly incidentId: string;
}

/** What the flush of due incidents did. */
export interface FlushResult {
  readonly status: 'flushed';
  readonly digests: number;
  readonly closed: number;
  /** Due incidents left for the next flush because the invocation's time ran short. */
  readonly deferred: number;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

const jobsOf = (item: Record<string, AttributeValue> | undefined): string[] => item?.jobs?.SS ?? [];

const recordOf = (item: Record<string, AttributeValue> | undefined): IncidentRecord | undefined =>
  item?.record?.S ? (JSON.parse(item.record.S) as IncidentRecord) : undefined;

/** Runs `task` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class IncidentStore {
  private readonly now: () => number;

  public constructor(private readonly options: IncidentStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a failure under its cause. The first job of an incident (and a retry of it) is `first`:
   * the caller publishes it. Every other job is `later`: it waits for the digest.
   */
  public async record(job: JobContext, outcome: Extract<Outcome, { kind: 'permission' }>): Promise<Recorded> {
    const now = this.now();
    const cause = causeOf(outcome, job);
    const incidentId = causeKeyOf(cause);
    const jobId = jobIdOf(job);
    const message = firstMessageOf(outcome);
    const record: IncidentRecord = {
      incidentId,
      cause,
      firstJob: jobId,
      threadId: message.threadId,
      title: message.title,
      attributes: message.attributes,
      firstAt: now,
      lastAt: now,
      dueAt: now + this.options.windowMinutes * 60_000,
      reportedCount: 0,
    };
    const key = { id: { S: `incident#${incidentId}` } };
    for (let round = 0; round < MAX_RECORD_ROUNDS; round += 1) {
      const open = await this.open(key, record);
      // Also on a retry of the first job: its message may be what failed the first time.
      if (!open || open.firstJob === jobId) return { role: 'first', incidentId };
      const waiting = await this.join(key, incidentId, jobId, now);
      if (!waiting) continue; // closed meanwhile: open a new incident
      if (!waiting.includes(jobId) && waiting.length + 1 === this.options.digestThreshold) {
        // A digest before the window closes; if it fails, the closing digest still lists these jobs.
        await this.flush(incidentId, false).catch((error: Error) =>
          this.options.logger.warn('early digest not sent', { incidentId, error: error.message }),
        );
      }
      return { role: 'later', incidentId };
    }
    throw new Error(`incident ${incidentId}: opened and closed ${MAX_RECORD_ROUNDS} times while recording`);
  }

  /**
   * Opens the incident, unless one is open: then returns that one's record. An incident whose window
   * has closed with no job waiting is over, and a new one takes its place.
   */
  private async open(
    key: Record<string, AttributeValue>,
    record: IncidentRecord,
  ): Promise<IncidentRecord | undefined> {
    try {
      await this.options.dynamodb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            ...key,
            record: { S: JSON.stringify(record) },
            lastAt: { N: String(record.lastAt) },
            [WAITING_INCIDENTS_INDEX.sortKey]: { N: String(record.dueAt) },
            expiration: { N: String(Math.floor((record.dueAt + RETENTION_MS) / 1000)) },
          },
          // DynamoDB removes a set it empties: no `jobs`, no job waiting. A closing flush checks the
          // window before it leases or deletes, so it never touches the new incident.
          ConditionExpression: 'attribute_not_exists(id) OR (#due <= :now AND attribute_not_exists(jobs))',
          ExpressionAttributeNames: { '#due': WAITING_INCIDENTS_INDEX.sortKey },
          ExpressionAttributeValues: { ':now': { N: String(record.firstAt) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return recordOf((error as ConditionalCheckFailedException).Item) ?? record;
    }
  }

  /**
   * Adds a later job to the open incident and puts the incident in the index of those waiting for a
   * digest. Returns the jobs that were waiting before, or undefined when the incident is gone.
   */
  private async join(
    key: Record<string, AttributeValue>,
    incidentId: string,
    jobId: string,
    now: number,
  ): Promise<string[] | undefined> {
    try {
      const { Attributes: old } = await this.options.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: 'SET lastAt = :now, #shard = :shard ADD jobs :job',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeNames: { '#shard': WAITING_INCIDENTS_INDEX.partitionKey },
          ExpressionAttributeValues: {
            ':now': { N: String(now) },
            ':shard': { S: waitingShardOf(incidentId) },
            ':job': { SS: [jobId] },
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return jobsOf(old);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * The scheduled flush: a closing digest for every incident with jobs waiting whose window has
   * closed, as long as `remainingTimeMs` (the invocation's) leaves room for one.
   */
  public async flushDue(remainingTimeMs: () => number = () => Infinity): Promise<FlushResult> {
    const failures: DigestError[] = [];
    let digests = 0;
    let closed = 0;
    let deferred = 0;
    await eachLimited(await this.dueIncidents(), FLUSH_CONCURRENCY, async (incidentId) => {
      if (remainingTimeMs() < FLUSH_RESERVE_MS) {
        deferred += 1;
        return;
      }
      try {
        const result = await this.flush(incidentId, true);
        digests += result.digests;
        closed += result.closed ? 1 : 0;
      } catch (error) {
        if (!(error instanceof DigestError)) throw error;
        failures.push(error);
      }
    });
    // A failed digest fails the invocation: Lambda retries it, and it ends in the DLQ like any failure.
    if (failures.length > 0)
      throw new DigestError(
        failures.map((failure) => failure.message).join('\n'),
        failures.map((failure) => failure.incidentId).join(','),
        { cause: failures[0] },
      );
    return { status: 'flushed', digests, closed, deferred };
  }

  /** The ids of the incidents with jobs waiting whose window has closed, from every index shard. */
  private async dueIncidents(): Promise<string[]> {
    const { indexName, partitionKey, sortKey, shards } = WAITING_INCIDENTS_INDEX;
    const now = this.now();
    const pages = await Promise.all(
      Array.from({ length: shards }, async (_, shard) => {
        const ids: string[] = [];
        let startKey: Record<string, AttributeValue> | undefined;
        do {
          const page = await this.options.dynamodb.send(
            new QueryCommand({
              TableName: this.options.tableName,
              IndexName: indexName,
              KeyConditionExpression: '#shard = :shard AND #due <= :now',
              ExpressionAttributeNames: { '#shard': partitionKey, '#due': sortKey },
              ExpressionAttributeValues: { ':shard': { S: String(shard) }, ':now': { N: String(now) } },
              ExclusiveStartKey: startKey,
            }),
          );
          ids.push(...(page.Items ?? []).flatMap((item) => item.id?.S?.replace(/^incident#/, '') ?? []));
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return ids;
      }),
    );
    return pages.flat();
  }

  /**
   * One digest of the jobs waiting in the incident; when `closing`, the incident is deleted after it
   * unless a job arrived meanwhile (then that job gets a follow-up digest).
   */
  private async flush(incidentId: string, closing: boolean): Promise<{ digests: number; closed: boolean }> {
    const key = { id: { S: `incident#${incidentId}` } };
    let digests = 0;
    for (let round = 0; round < MAX_CLOSING_ROUNDS; round += 1) {
      const now = this.now();
      let item: Record<string, AttributeValue> | undefined;
      try {
        ({ Attributes: item } = await this.options.dynamodb.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: key,
            UpdateExpression: 'SET leaseUntil = :until',
            // A closing flush acts only on an incident whose window has closed, never on a new one
            // that took the place of the incident it found.
            ConditionExpression: `attribute_exists(id) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)${
              closing ? ' AND #due <= :now' : ''
            }`,
            ...(closing ? { ExpressionAttributeNames: { '#due': WAITING_INCIDENTS_INDEX.sortKey } } : {}),
            ExpressionAttributeValues: {
              ':until': { N: String(now + LEASE_MS) },
              ':now': { N: String(now) },
            },
            ReturnValues: 'ALL_NEW',
          }),
        ));
      } catch (error) {
        // Gone (another flush closed it) or leased by another flush, which covers these jobs.
        if (isConditionFailure(error)) return { digests, closed: false };
        throw error;
      }
      const stored = recordOf(item) ?? ({} as IncidentRecord);
      const jobs = jobsOf(item);
      const incident: IncidentRecord = {
        ...stored,
        lastAt: Number(item?.lastAt?.N ?? stored.lastAt),
        reportedCount: Number(item?.reportedCount?.N ?? 0),
      };
      if (jobs.length > 0) {
        const notification = digestNotificationOf({ incident, jobs, final: closing });
        try {
          await publish(this.options.sns, this.options.topicArn, notification);
        } catch (error) {
          throw await this.digestFailed(incidentId, notification, error as Error);
        }
        digests += 1;
      }
      // Removes exactly the jobs this digest listed: jobs recorded meanwhile stay for the next one.
      await this.options.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: `${jobs.length > 0 ? 'DELETE jobs :reported ' : ''}ADD reportedCount :count REMOVE leaseUntil`,
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: {
            ...(jobs.length > 0 ? { ':reported': { SS: jobs } } : {}),
            ':count': { N: String(jobs.length) },
          },
        }),
      );
      if (!closing) return { digests, closed: false };
      try {
        await this.options.dynamodb.send(
          new DeleteItemCommand({
            TableName: this.options.tableName,
            Key: key,
            // Never the new incident that may have taken the place of this one after the update above.
            ConditionExpression:
              '(attribute_not_exists(jobs) OR size(jobs) = :zero) AND attribute_not_exists(leaseUntil) AND #due <= :now',
            ExpressionAttributeNames: { '#due': WAITING_INCIDENTS_INDEX.sortKey },
            ExpressionAttributeValues: { ':zero': { N: '0' }, ':now': { N: String(now) } },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) continue;
        throw error;
      }
      return { digests, closed: true };
    }
    return { digests, closed: false };
  }

  /**
   * Counts a failed digest and releases the lease, so the next attempt can send it. After
   * MAX_DIGEST_ATTEMPTS the incident is closed and the digest's text travels in the error to the DLQ.
   */
  private async digestFailed(
    incidentId: string,
    notification: SnsNotification,
    error: Error,
  ): Promise<DigestError> {
    const key = { id: { S: `incident#${incidentId}` } };
    const { Attributes } = await this.options.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: key,
        UpdateExpression: 'ADD digestFailures :one REMOVE leaseUntil',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const attempts = Number(Attributes?.digestFailures?.N ?? 1);
    const text = (JSON.parse(notification.message) as { default: string }).default;
    if (attempts < MAX_DIGEST_ATTEMPTS)
      return new DigestError(
        `digest of incident ${incidentId} not sent (attempt ${attempts}): ${error.message}`,
        incidentId,
        { cause: error },
      );
    await this.options.dynamodb.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: key }));
    return new DigestError(
      `digest of incident ${incidentId} given up after ${attempts} attempts (${error.message}):\n${text}`,
      incidentId,
      { cause: error },
    );
  }
}

/** The store the configuration asks for: none when the window is 0 or there is no table. */
export function incidentStoreFrom(
  config: RemediatorConfig,
  clients: Pick<IncidentStoreOptions, 'dynamodb' | 'sns' | 'logger' | 'now'>,
): IncidentStore | undefined {
  const windowMinutes = config.incidentWindowMinutes ?? 0;
  if (!config.idempotencyTableName || windowMinutes <= 0) return undefined;
  return new IncidentStore({
    ...clients,
    tableName: config.idempotencyTableName,
    topicArn: config.topicArn,
    windowMinutes,
    digestThreshold: INCIDENT_DEFAULTS.digestThreshold,
  });
}
