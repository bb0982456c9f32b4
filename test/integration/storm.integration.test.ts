/**
 * One cause, one message, under load: 500 failed-job events of one cause from 10 concurrent callers
 * plus 20 of three other causes, through the real handler against the real server (DynamoDB, SNS,
 * SQS), then the scheduled flush once the window has closed.
 */
import { describe, expect, it } from 'vitest';
import { DIGEST_LISTED_JOBS } from '../../lambdas/core/incident.js';
import { useMotoWorld } from '../support/moto-world.js';
import { allDelivered, digestOf, STORM_PLAN, StormRig, stormEvents } from '../support/storm.js';

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
    expect(description.match(/`storm-shard-\d{3}`/g)).toHaveLength(DIGEST_LISTED_JOBS);
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
});
