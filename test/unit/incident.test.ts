/** The incident core: which failures share a cause, and what a digest says. */
import { describe, expect, it } from 'vitest';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import type { IncidentRecord } from '../../lambdas/core/incident.js';
import {
  causeKeyOf,
  causeOf,
  DIGEST_LISTED_JOBS,
  digestNotificationOf,
  firstMessageOf,
  isFlushIncidentsEvent,
} from '../../lambdas/core/incident.js';
import type { ChatbotNotification } from '../../lambdas/core/render.js';
import type { JobContext } from '../../lambdas/core/types.js';
import { readEvent } from '../helpers/fixtures.js';

/**
 * A sample event's failure for another job name, in another account if asked, its text prefixed as a
 * container would write it if asked.
 */
function failure(file: string, jobName: string, account = '111122223333', textPrefix = '') {
  const event = JSON.parse(JSON.stringify(readEvent(file)).replaceAll('111122223333', account)) as {
    detail: Record<string, unknown>;
  };
  const reported = failedJobFromInput(event);
  const job: JobContext = {
    ...reported,
    jobName,
    failureReason: `${textPrefix}${reported.failureReason ?? ''}`,
  };
  const outcome = analyse(job.failureReason ?? '', job);
  if (outcome.kind !== 'permission') throw new Error(`${file} is not a permission failure`);
  return { job, outcome, key: causeKeyOf(causeOf(outcome, job)) };
}

describe('the cause key', () => {
  it('is the same for two jobs with the same failure, and differs by account, policy and block', () => {
    // Prepare
    const first = failure('training-s3-output-access-denied.json', 'shard-001');
    const second = failure('training-s3-output-access-denied.json', 'shard-002');
    const otherAccount = failure('training-s3-output-access-denied.json', 'shard-001', '210987654321');
    const otherPolicy = failure('training-kms-output-denied.json', 'shard-001');
    const scp = failure('training-scp-explicit-deny.json', 'shard-001');
    // Assess
    expect(second.key).toBe(first.key);
    expect(new Set([first.key, otherAccount.key, otherPolicy.key, scp.key]).size).toBe(4);
    expect(otherAccount.key.startsWith('210987654321-')).toBe(true);
  });

  it('differs by origin: text a container wrote never shares the cause of a failure SageMaker reported', () => {
    // Prepare: the tenant's container writes the victim's failure text, word for word
    const reported = failure('training-s3-output-access-denied.json', 'victim-job');
    const written = failure(
      'training-s3-output-access-denied.json',
      'tenant-job',
      '111122223333',
      'AlgorithmError: ',
    );
    // Act
    const reportedCause = causeOf(reported.outcome, reported.job);
    const writtenCause = causeOf(written.outcome, written.job);
    // Assess: the same fix for the same role, but two causes
    expect(written.outcome.proposal.policyName).toBe(reported.outcome.proposal.policyName);
    expect(writtenCause.role).toBe(reportedCause.role);
    expect(written.key).not.toBe(reported.key);
    expect([reportedCause.origin, writtenCause.origin]).toEqual(['sagemaker', 'container']);
  });

  it('names the policy for an Allow, and the location and denied request for a block elsewhere', () => {
    const allow = failure('training-kms-output-denied.json', 'a');
    const scp = failure('training-scp-explicit-deny.json', 'a');
    expect(causeOf(allow.outcome, allow.job)).toMatchObject({
      accountId: '111122223333',
      role: 'arn:aws:iam::111122223333:role/SageMakerExecRole',
      policyName: allow.outcome.proposal.policyName,
      denied: [],
    });
    const blocked = causeOf(scp.outcome, scp.job);
    expect(blocked.policyName).toBeUndefined();
    expect(blocked.fixLocation).toBe('scp');
    expect(blocked.denied.length).toBeGreaterThan(0);
    expect(blocked.denied.every((line) => line.startsWith('deny:scp '))).toBe(true);
  });
});

describe('the digest', () => {
  const { outcome } = failure('training-s3-output-access-denied.json', 'shard-000');
  const first = firstMessageOf(outcome);
  const incident: IncidentRecord = {
    incidentId: '111122223333-abc',
    cause: causeOf(outcome, failure('training-s3-output-access-denied.json', 'shard-000').job),
    firstJob: 'shard-000',
    ...first,
    firstAt: Date.UTC(2026, 10, 27, 9, 0, 0),
    lastAt: Date.UTC(2026, 10, 27, 9, 12, 30),
    dueAt: Date.UTC(2026, 10, 27, 9, 15, 0),
    reportedCount: 0,
  };
  const jobs = Array.from({ length: 25 }, (_, i) => `shard-${String(25 - i).padStart(3, '0')}`);

  it('goes to the first message thread with counts, 20 names, then a count, and first and last time', () => {
    // Act
    const notification = digestNotificationOf({ incident, jobs, final: true });
    // Assess
    const body = JSON.parse(notification.message) as Record<string, string>;
    const chatbot = JSON.parse(body.https ?? '{}') as {
      content: { title: string; description: string };
      metadata: { threadId: string; additionalContext: Record<string, string> };
    };
    expect(chatbot.metadata.threadId).toBe('shard-000');
    expect(chatbot.metadata.threadId).toBe(first.threadId);
    expect(chatbot.metadata.additionalContext).toEqual({
      incidentId: '111122223333-abc',
      jobCount: '26',
      firstJob: 'shard-000',
    });
    expect(chatbot.metadata.additionalContext).not.toHaveProperty('proposalId');
    expect(chatbot.content.title).toBe('25 more job(s) failed with the same cause as shard-000');
    const jobsLine = chatbot.content.description.split('\n').find((line) => line.startsWith('Jobs: '));
    expect(jobsLine?.match(/`shard-\d{3}`/g)).toEqual(
      [...jobs]
        .sort()
        .slice(0, DIGEST_LISTED_JOBS)
        .map((name) => `\`${name}\``),
    );
    expect(chatbot.content.description).toContain('and 5 more');
    expect(body.default).toContain(
      '26 job(s) in this incident so far, 2026-11-27T09:00:00Z to 2026-11-27T09:12:30Z',
    );
    const sqs = JSON.parse(body.sqs ?? '{}') as { digest: { jobs: string[]; jobCount: number } };
    expect(sqs.digest.jobs).toEqual([...jobs].sort());
    expect(sqs.digest.jobCount).toBe(26);
    expect(notification.attributes).toEqual({ ...first.attributes, jobName: 'shard-000' });
  });

  it('counts the jobs of earlier digests of the same incident', () => {
    const notification = digestNotificationOf({
      incident: { ...incident, reportedCount: 1000 },
      jobs,
      final: true,
    });
    expect(JSON.parse((JSON.parse(notification.message) as { sqs: string }).sqs)).toMatchObject({
      digest: { jobCount: 1026 },
    });
  });

  it('neutralises what the failure text and the job names carry, and keeps the untrusted-origin warning', () => {
    // Prepare: a container names a "role" that mentions the channel and links an approval page
    const hostileRole = '<!channel><@U024BE7LH><mailto:x@evil.example|Approve-the-fix-here>';
    const reason = `AlgorithmError: User: arn:aws:sts::111122223333:assumed-role/${hostileRole}/x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action`;
    const base = failure('training-untrusted-failure-file.json', 'job\x1b[31m<!here>');
    const job: JobContext = { ...base.job, failureReason: reason };
    const hostile = analyse(reason, job);
    if (hostile.kind !== 'permission') throw new Error('expected a permission outcome');
    const record: IncidentRecord = {
      ...incident,
      cause: causeOf(hostile, job),
      ...firstMessageOf(hostile),
      firstJob: 'job\x1b[31m<!here>',
    };
    // Act
    const notification = digestNotificationOf({
      incident: record,
      jobs: ['<@U024BE7LH>', 'x\x1b]8;;https://evil.example\x07approve\x1b]8;;\x07', '```', 'a\u202eb'],
      final: true,
    });
    // Assess
    expect(record.title).toContain(hostileRole);
    const body = JSON.parse(notification.message) as Record<'default' | 'email' | 'https', string>;
    const chatbot = JSON.parse(body.https) as ChatbotNotification;
    const chatStrings = [
      chatbot.content.title,
      chatbot.content.description,
      ...(chatbot.content.keywords ?? []),
      ...Object.values(chatbot.metadata ?? {}).flatMap((value) =>
        typeof value === 'string' ? [value] : Object.values(value as object).map(String),
      ),
    ];
    for (const text of chatStrings) expect(text).not.toMatch(/<[!@#]|<mailto:|<https?:/i);
    for (const text of [body.default, body.email, notification.subject])
      expect([...text].filter((c) => c === '\x1b' || c === '\u202e' || c === '\x07')).toEqual([]);
    expect(notification.subject).toMatch(/^\[untrusted text\] /);
    // Verdict first, the warning right after it (issue 20).
    expect(body.email.split('\n')[1]).toMatch(/^WARNING: untrusted text\./);
    expect(chatbot.content.title).toMatch(/^\[untrusted text\] /);
    expect(chatbot.content.description.split('\n')[1]).toMatch(/^\*WARNING: untrusted text\./);
  });

  it('recognises only the flush event', () => {
    expect(isFlushIncidentsEvent({ action: 'flush-incidents' })).toBe(true);
    expect(isFlushIncidentsEvent(readEvent('training-s3-output-access-denied.json'))).toBe(false);
    expect(isFlushIncidentsEvent(null)).toBe(false);
  });
});
