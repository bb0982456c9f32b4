/**
 * One cause, one message, under load: 500 failed-job events of one cause from 10 concurrent callers
 * plus 20 of three other causes, through the real handler against the real server (DynamoDB, SNS,
 * SQS), then the scheduled flush once the window has closed. Then a storm of causes: 20,000 of them
 * through the incident store, more than one item could list.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import { DIGEST_LISTED_JOBS } from '../../lambdas/core/incident.js';
import type { JobContext } from '../../lambdas/core/types.js';
import { IncidentStore } from '../../lambdas/remediator/aws/incidents.js';
import { CLIENT_RETRY } from '../../lambdas/remediator/aws/retry.js';
import { useMotoWorld } from '../support/moto-world.js';
import { allDelivered, digestOf, STORM_PLAN, StormRig, stormEvents } from '../support/storm.js';
import type { World } from '../support/world.js';
import { motoEvent } from '../support/world.js';

const env = useMotoWorld();

describe('an alert storm', () => {
  it('sends one message and one digest per cause, and accounts for every job exactly once', async () => {
    // Prepare
    const rig = await new StormRig(env.world, STORM_PLAN.windowMinutes).create();
    const events = stormEvents(STORM_PLAN);
    const jobsByCause = new Map<string, string[]>();
    for (const { cause, jobName } of events)
      jobsByCause.set(cause, [...(jobsByCause.get(cause) ?? []), jobName]);

    // Act: the storm, then a flush inside the window, then one after it.
    const run = await rig.send(
      events.map(({ event }) => event),
      STORM_PLAN.concurrency,
    );
    const immediate = await allDelivered(env.world);
    rig.clock += 5 * 60_000;
    expect(await rig.flush()).toBe(true);
    const beforeClose = await allDelivered(env.world);
    rig.clock += STORM_PLAN.windowMinutes * 60_000;
    expect(await rig.flush()).toBe(true);
    const digests = await allDelivered(env.world);

    // Assess: nothing failed, nothing waits in the DLQ.
    expect(run.deadLettered).toBe(0);
    expect(await rig.deadLetterCount()).toBe(0);
    expect(beforeClose).toEqual([]);

    // One immediate message per cause, each a proposal of its own job.
    expect(immediate).toHaveLength(jobsByCause.size);
    expect(immediate.every((message) => digestOf(message) === undefined)).toBe(true);
    const firstByCause = new Map(
      immediate.map((message) => {
        const jobName = message.attributes.jobName ?? '';
        return [jobName.slice(0, jobName.indexOf('-shard-')), message] as const;
      }),
    );
    expect([...firstByCause.keys()].sort()).toEqual([...jobsByCause.keys()].sort());

    // One digest per cause, in the first message's thread, listing every other job of that cause.
    expect(digests).toHaveLength(jobsByCause.size);
    const seen = new Set<string>();
    for (const message of digests) {
      const digest = digestOf(message);
      expect(digest?.final).toBe(true);
      const cause = digest?.firstJob.slice(0, digest.firstJob.indexOf('-shard-')) ?? '';
      const first = firstByCause.get(cause);
      const jobs = jobsByCause.get(cause) ?? [];
      expect(digest?.firstJob).toBe(first?.attributes.jobName);
      expect(digest?.jobCount).toBe(jobs.length);
      expect([first?.attributes.jobName, ...(digest?.jobs ?? [])].sort()).toEqual([...jobs].sort());
      expect(message.message.chatbot).toMatchObject({
        version: '1.0',
        source: 'custom',
        metadata: { threadId: (first?.message.chatbot.metadata as { threadId: string }).threadId },
      });
      expect(message.attributes.category).toBe(first?.attributes.category);
      for (const job of [first?.attributes.jobName ?? '', ...(digest?.jobs ?? [])]) {
        expect(seen.has(job)).toBe(false);
        seen.add(job);
      }
    }
    expect(seen.size).toBe(events.length);

    // The storm's digest names 20 jobs and counts the rest.
    const storm = digests.find((message) => digestOf(message)?.jobCount === STORM_PLAN.stormJobs);
    const description = (storm?.message.chatbot.content as { description: string }).description;
    const jobsLine = description.split('\n').find((line) => line.startsWith('Jobs: '));
    expect(jobsLine?.match(/`storm-shard-\d{3}`/g)).toHaveLength(DIGEST_LISTED_JOBS);
    expect(description).toContain(`and ${STORM_PLAN.stormJobs - 1 - DIGEST_LISTED_JOBS} more`);
    expect(storm?.message.text).toMatch(/^499 more job\(s\) failed with the same cause as storm-shard-\d{3}/);
  }, 120_000);

  it('retries a digest that cannot be published, puts the failure in the DLQ, and sends it later', async () => {
    // Prepare: three failures of one cause; a flush whose topic does not exist.
    const rig = await new StormRig(env.world, STORM_PLAN.windowMinutes).create();
    const broken = await new StormRig(env.world, STORM_PLAN.windowMinutes, {
      topicArn: env.world.topicArn.replace(/:[^:]+$/, ':no-such-topic'),
    }).create();
    const events = stormEvents({ ...STORM_PLAN, stormJobs: 3, otherCauses: [] });
    await rig.send(
      events.map(({ event }) => event),
      1,
    );
    const [first] = await allDelivered(env.world);
    // Act
    broken.clock = rig.clock + STORM_PLAN.windowMinutes * 60_000;
    const sentWhileBroken = await broken.flush();
    rig.clock = broken.clock + 60_000;
    const sentLater = await rig.flush();
    // Assess: the failed flush went to the DLQ after its retries; the next one sent the digest.
    expect(sentWhileBroken).toBe(false);
    const [deadLetter, ...more] = await rig.deadLetters();
    expect(more).toEqual([]);
    expect(deadLetter?.event).toEqual({ action: 'flush-incidents' });
    expect(deadLetter?.error).toMatch(/digest of incident \d{12}-[0-9a-f]{24} not sent \(attempt 3\)/);
    expect(sentLater).toBe(true);
    const digests = await allDelivered(env.world);
    expect(digests.map(digestOf)).toEqual([
      expect.objectContaining({ firstJob: first?.attributes.jobName, jobCount: 3, final: true }),
    ]);
  });

  it('gives a failure SageMaker reported its own message when a container wrote the same text first', async () => {
    // Prepare: a tenant's container writes the victim's failure text, word for word, and fails first
    const rig = await new StormRig(env.world, STORM_PLAN.windowMinutes).create();
    const [victim] = stormEvents({ ...STORM_PLAN, stormJobs: 1, otherCauses: [] });
    const event = victim?.event as { detail: Record<string, unknown> };
    const written = {
      ...event,
      id: 'tenant-event',
      detail: {
        ...event.detail,
        TrainingJobName: 'tenant-job',
        TrainingJobArn: String(event.detail.TrainingJobArn).replace(/[^/]+$/, 'tenant-job'),
        FailureReason: `AlgorithmError: ${String(event.detail.FailureReason)}`,
      },
    };
    // Act
    await rig.send([written, victim?.event], 1);
    const delivered = await allDelivered(env.world);
    // Assess: two messages at once, the victim's a proposal of its own, without the untrusted warning
    expect(delivered.map((message) => message.attributes.jobName)).toEqual(['tenant-job', victim?.jobName]);
    expect(delivered[1]?.message.text).not.toMatch(/untrusted/);
    expect(delivered[1]?.message.outcome).toMatchObject({ isPermission: true });
  });
});

/** Runs `task` for 0..count-1 from `concurrency` callers. */
async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await task(index);
      }
    }),
  );
}

/** Every item of the table: how many, and the size of the largest as JSON. */
async function tableItems(world: World): Promise<{ count: number; largest: number }> {
  let count = 0;
  let largest = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await world.dynamodb.send(
      new ScanCommand({ TableName: world.tableName, ExclusiveStartKey: startKey }),
    );
    count += page.Count ?? 0;
    for (const item of page.Items ?? []) largest = Math.max(largest, JSON.stringify(item).length);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { count, largest };
}

describe('a storm of causes', () => {
  it('keeps every one of 20,000 causes in its own bounded item, and flushes those with jobs waiting', async () => {
    // Prepare: 20,000 tenants fail once each (one cause each: the account is part of it); every
    // 100th fails a second time, and so waits for a digest.
    const causes = 20_000;
    const secondEvery = 100;
    const { world } = env;
    let clock = Date.now();
    const store = new IncidentStore({
      dynamodb: new DynamoDBClient(CLIENT_RETRY),
      tableName: world.tableName,
      sns: world.sns,
      topicArn: world.topicArn,
      logger: new Logger({ serviceName: 'storm', logLevel: 'SILENT' }),
      windowMinutes: STORM_PLAN.windowMinutes,
      digestThreshold: 1000,
      now: () => clock,
    });
    const reported = failedJobFromInput(motoEvent('training-s3-output-access-denied.json'));
    const outcome = analyse(reported.failureReason ?? '', reported);
    if (outcome.kind !== 'permission') throw new Error('expected a permission failure');
    const tenantJob = (index: number, attempt: string): JobContext => ({
      ...reported,
      accountId: String(100_000_000_000 + index),
      jobName: `tenant-${index}-${attempt}`,
    });
    const roles = { first: 0, later: 0 };
    const seconds = causes / secondEvery;

    // Act
    const started = performance.now();
    await inParallel(causes, 8, async (index) => {
      roles[(await store.record(tenantJob(index, 'first'), outcome)).role] += 1;
    });
    await inParallel(seconds, 8, async (index) => {
      roles[(await store.record(tenantJob(index * secondEvery, 'second'), outcome)).role] += 1;
    });
    const recordedMs = performance.now() - started;
    clock += STORM_PLAN.windowMinutes * 60_000;
    // The first flush runs out of time halfway: the rest waits for the next one.
    let budgetChecks = 0;
    const halfway = await store.flushDue(() => ((budgetChecks += 1) <= seconds / 2 ? 60_000 : 0));
    const flushed = await store.flushDue();
    const again = await store.flushDue();
    const flushedMs = performance.now() - started - recordedMs;
    const afterWindow = await store.record(tenantJob(1, 'after-the-window'), outcome);

    // Assess: every first failure to be published, every second one digested once, nothing lost
    expect(roles).toEqual({ first: causes, later: seconds });
    const half = seconds / 2;
    expect(halfway).toEqual({ status: 'flushed', digests: half, closed: half, deferred: seconds - half });
    expect(flushed).toEqual({
      status: 'flushed',
      digests: seconds - half,
      closed: seconds - half,
      deferred: 0,
    });
    expect(again).toEqual({ status: 'flushed', digests: 0, closed: 0, deferred: 0 });
    expect(afterWindow.role).toBe('first');
    const digested = (await allDelivered(world)).flatMap((message) => digestOf(message)?.jobs ?? []);
    expect(digested.sort()).toEqual(
      Array.from({ length: seconds }, (_, index) => `tenant-${index * secondEvery}-second`).sort(),
    );
    // The incidents without a second job stay, each its own small item, until they expire.
    const items = await tableItems(world);
    expect(items.count).toBe(causes - seconds);
    expect(items.largest).toBeLessThan(4_000);
    process.stderr.write(
      `${causes} causes: recorded in ${(recordedMs / 1000).toFixed(1)} s, flushed in ${(flushedMs / 1000).toFixed(1)} s\n`,
    );
  }, 900_000);
});
