/**
 * Incidents in the DynamoDB table the service already has (the idempotency table, keyed by `id`,
 * expiring on `expiration`). Every write is one atomic UpdateItem or a conditional write, so
 * concurrent invocations never lose a job:
 *
 * - `incident#<cause key>`: the incident. Recording a failure adds its job name to the string set
 *   `jobs` (a set: a retried event is not counted twice) and keeps the first failure's record with
 *   `if_not_exists`; the old item tells the caller whether it is the first job.
 * - `incident-index`: the string set of open incidents, which the flush rule reads every minute.
 *
 * A flush takes a short lease on the incident, publishes one digest of the jobs in the set, removes
 * exactly those jobs from it (jobs recorded meanwhile stay for the next digest) and, when the window
 * has closed, deletes the incident only if no job arrived since.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
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
const INDEX_ID = 'incident-index';

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
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

const jobsOf = (item: Record<string, AttributeValue> | undefined): string[] => item?.jobs?.SS ?? [];

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
    const cause = causeOf(outcome.proposal, job);
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
    const { Attributes: old } = await this.options.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { id: { S: `incident#${incidentId}` } },
        UpdateExpression:
          'SET #record = if_not_exists(#record, :record), lastAt = :now, dueAt = if_not_exists(dueAt, :due), ' +
          'expiration = if_not_exists(expiration, :expiration) ADD jobs :job',
        ExpressionAttributeNames: { '#record': 'record' },
        ExpressionAttributeValues: {
          ':record': { S: JSON.stringify(record) },
          ':now': { N: String(now) },
          ':due': { N: String(record.dueAt) },
          ':expiration': { N: String(Math.floor((record.dueAt + RETENTION_MS) / 1000)) },
          ':job': { SS: [jobId] },
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const stored = old?.record?.S ? (JSON.parse(old.record.S) as IncidentRecord) : undefined;
    if (!stored || stored.firstJob === jobId) {
      // Also on a retry of the first job: the index entry may be what failed the first time.
      await this.updateIndex('ADD', incidentId);
      return { role: 'first', incidentId };
    }
    const waiting = jobsOf(old);
    if (!waiting.includes(jobId) && waiting.length + 1 === this.options.digestThreshold) {
      // A digest before the window closes; if it fails, the closing digest still lists these jobs.
      await this.flush(incidentId, false).catch((error: Error) =>
        this.options.logger.warn('early digest not sent', { incidentId, error: error.message }),
      );
    }
    return { role: 'later', incidentId };
  }

  /** The scheduled flush: a closing digest for every open incident whose window has closed. */
  public async flushDue(): Promise<FlushResult> {
    const { Item: index } = await this.options.dynamodb.send(
      new GetItemCommand({
        TableName: this.options.tableName,
        Key: { id: { S: INDEX_ID } },
        ConsistentRead: true,
      }),
    );
    const failures: DigestError[] = [];
    let digests = 0;
    let closed = 0;
    for (const incidentId of index?.ids?.SS ?? []) {
      const { Item } = await this.options.dynamodb.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { id: { S: `incident#${incidentId}` } },
          ProjectionExpression: 'dueAt',
          ConsistentRead: true,
        }),
      );
      if (!Item) {
        await this.updateIndex('DELETE', incidentId);
        continue;
      }
      if (Number(Item.dueAt?.N ?? 0) > this.now()) continue;
      try {
        const result = await this.flush(incidentId, true);
        digests += result.digests;
        closed += result.closed ? 1 : 0;
      } catch (error) {
        if (!(error instanceof DigestError)) throw error;
        failures.push(error);
      }
    }
    // A failed digest fails the invocation: Lambda retries it, and it ends in the DLQ like any failure.
    if (failures.length > 0)
      throw new DigestError(
        failures.map((failure) => failure.message).join('\n'),
        failures.map((failure) => failure.incidentId).join(','),
        { cause: failures[0] },
      );
    return { status: 'flushed', digests, closed };
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
            ConditionExpression:
              'attribute_exists(id) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
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
      const stored = JSON.parse(item?.record?.S ?? '{}') as IncidentRecord;
      const inSet = jobsOf(item);
      const jobs = inSet.filter((job) => job !== stored.firstJob);
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
          UpdateExpression: `${inSet.length > 0 ? 'DELETE jobs :reported ' : ''}ADD reportedCount :count REMOVE leaseUntil`,
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: {
            ...(inSet.length > 0 ? { ':reported': { SS: inSet } } : {}),
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
            ConditionExpression:
              '(attribute_not_exists(jobs) OR size(jobs) = :zero) AND attribute_not_exists(leaseUntil)',
            ExpressionAttributeValues: { ':zero': { N: '0' } },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) continue;
        throw error;
      }
      await this.updateIndex('DELETE', incidentId);
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
    await this.updateIndex('DELETE', incidentId);
    return new DigestError(
      `digest of incident ${incidentId} given up after ${attempts} attempts (${error.message}):\n${text}`,
      incidentId,
      { cause: error },
    );
  }

  private async updateIndex(action: 'ADD' | 'DELETE', incidentId: string): Promise<void> {
    await this.options.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { id: { S: INDEX_ID } },
        UpdateExpression: `${action} ids :id`,
        ExpressionAttributeValues: { ':id': { SS: [incidentId] } },
      }),
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
