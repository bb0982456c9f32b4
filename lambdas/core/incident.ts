/**
 * Incidents: one cause, one message. A tuning job of 100 training jobs, or a pipeline fanned out over
 * 200 shards, fails 100 or 200 times with the same missing permission. Failures with the same cause
 * within a window are one incident: its first failure is published at once, the others are recorded,
 * and one digest in the first message's chat thread says how many jobs, which ones, and when.
 *
 * Pure: the cause key, the record an incident keeps, and the digest notification. Storing the record
 * and scheduling the digest are the adapter's job (lambdas/remediator/aws/incidents.ts).
 */
import { createHash } from 'node:crypto';
import type { SnsNotification } from './notification.js';
import { assemble, attributesOf } from './notification.js';
import type { Line, Message, Origin, Outcome } from './render.js';
import { chatbotContextOf, originOf, originWarningOf } from './render.js';
import type { JobContext } from './types.js';

/** The incident settings an operator chooses; each default is written once, here. */
export interface IncidentOptions {
  /**
   * Failures with the same cause this many minutes after an incident's first failure join it; the
   * digest follows when the window closes. 0 publishes every failure on its own.
   */
  readonly windowMinutes: number;
  /** A digest goes out early when this many later jobs are waiting (it bounds the stored record). */
  readonly digestThreshold: number;
}

export const INCIDENT_DEFAULTS = { windowMinutes: 15, digestThreshold: 1000 } as const;

/**
 * The table's sparse index of incidents that have jobs waiting for a digest, by when they are due:
 * the flush queries it, so no single item lists the open incidents. An incident enters it with its
 * first waiting job; one with none (a cause that failed once) never does and expires on its own. The
 * partition key is sharded so that no index partition takes every write of a storm of causes.
 */
export const WAITING_INCIDENTS_INDEX = {
  indexName: 'waiting-incidents',
  /** String: one of `shards` values, from the incident id. */
  partitionKey: 'waitingShard',
  /** Number: epoch milliseconds when the incident's window closes. */
  sortKey: 'dueAt',
  shards: 16,
} as const;

/** The index shard of an incident: from its key's hash, so causes spread evenly. */
export const waitingShardOf = (incidentId: string): string =>
  String(parseInt(incidentId.slice(-4), 16) % WAITING_INCIDENTS_INDEX.shards);

/** How many job names a digest lists before it gives a count of the rest. */
export const DIGEST_LISTED_JOBS = 20;

/**
 * The input of the rule that flushes due incidents every minute: it is not a failure, and a scheduled
 * invocation is recognised by it.
 */
export const FLUSH_INCIDENTS_EVENT = { action: 'flush-incidents' } as const;

export const isFlushIncidentsEvent = (event: unknown): boolean =>
  typeof event === 'object' &&
  event !== null &&
  (event as { action?: unknown }).action === FLUSH_INCIDENTS_EVENT.action;

/**
 * What makes two failures one cause: the account, who chose the failure's text (its origin), the role
 * that needs the fix, and the fix itself: the proposal's policy (named after its content), or, for a
 * block an Allow cannot lift, where it lives and what was denied on which resources.
 *
 * The origin is part of the identity: text a job's container wrote, or a caller's parameters, can
 * name any role and fix, and must never make a failure SageMaker itself reported join its incident
 * (that failure would then get no message of its own and no remediation decision).
 */
export interface Cause {
  readonly accountId: string;
  readonly origin: Origin;
  readonly role: string;
  readonly fixLocation: string;
  /** The proposed policy's content-derived name; absent when the block lives elsewhere. */
  readonly policyName?: string;
  /** `location action resource` per denied grant, sorted: what a block elsewhere is about. */
  readonly denied: readonly string[];
}

/**
 * The cause of a failure, from the proposal built from the failure text alone (before any live
 * verification): a fix attached while the incident is open changes what a verification would find,
 * not what the failures have in common.
 */
export function causeOf(
  { diagnosis, proposal }: Pick<Extract<Outcome, { kind: 'permission' }>, 'diagnosis' | 'proposal'>,
  job: JobContext,
): Cause {
  const denied = proposal.policy
    ? []
    : [
        ...new Set(
          proposal.findings.flatMap((finding) =>
            finding.grants.flatMap((grant) =>
              grant.actions.flatMap((action) =>
                grant.resources.map(
                  (resource) =>
                    `${finding.explicitDeny ? 'deny:' : ''}${finding.fixLocation} ${action} ${resource}`,
                ),
              ),
            ),
          ),
        ),
      ].sort();
  return {
    accountId: job.accountId ?? proposal.accountId ?? 'unknown',
    origin: originOf(diagnosis, job),
    role: proposal.roleArn ?? proposal.roleName,
    fixLocation: proposal.fixLocation,
    ...(proposal.policyName ? { policyName: proposal.policyName } : {}),
    denied,
  };
}

/** A short, stable key of a cause; the account and origin are part of it, so no two of them share one. */
export const causeKeyOf = (cause: Cause): string =>
  `${cause.accountId}-${createHash('sha256').update(JSON.stringify(cause)).digest('hex').slice(0, 24)}`;

/** How a job is named in an incident: its name, else its ARN. */
export const jobIdOf = (job: JobContext): string => job.jobName ?? job.jobArn ?? 'unnamed job';

/** The first message's facts an incident keeps: its digests go to the same thread, to the same subscribers. */
export interface FirstMessage {
  readonly title: string;
  readonly threadId: string;
  readonly attributes: SnsNotification['attributes'];
}

/** Taken from the renderings the first message is built with, so the thread is the same one. */
export function firstMessageOf(outcome: Extract<Outcome, { kind: 'permission' }>): FirstMessage {
  return {
    title: outcome.proposal.title,
    threadId: chatbotContextOf(outcome).threadId,
    attributes: attributesOf(outcome),
  };
}

/** What an incident keeps from its first failure to its last digest. Plain JSON. */
export interface IncidentRecord {
  readonly incidentId: string;
  readonly cause: Cause;
  /** The first failure's job: its message was published at once. */
  readonly firstJob: string;
  /** The chat thread of the first message; every digest of the incident goes there. */
  readonly threadId: string;
  /** The first message's title, so the digest says which proposal it is about. */
  readonly title: string;
  readonly attributes: SnsNotification['attributes'];
  /** Epoch milliseconds. */
  readonly firstAt: number;
  readonly lastAt: number;
  readonly dueAt: number;
  /** Later jobs already listed in earlier digests of this incident (count threshold). */
  readonly reportedCount: number;
}

/** What one digest covers: the incident and the later jobs not listed in any message yet. */
export interface Digest {
  readonly incident: IncidentRecord;
  /** Job names, not including the first job; each appears in exactly one digest. */
  readonly jobs: readonly string[];
  /** True when the window has closed and this is the incident's last digest. */
  readonly final: boolean;
}

const time = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The job names a digest lists, as values, and how many more there are. */
function jobList(jobs: readonly string[]): Line {
  const listed = jobs.slice(0, DIGEST_LISTED_JOBS);
  const rest = jobs.length - listed.length;
  return [
    'Jobs: ',
    ...listed.flatMap((name, index): Line => [...(index > 0 ? [', '] : []), { code: name }]),
    ...(rest > 0 ? [` and ${rest} more`] : []),
  ];
}

/**
 * The digest as a notification in the first message's thread: counts, names, first and last time.
 * It is a message like any other: the incident's title, the first job and the job names come from
 * failure text and job submitters, and reach each channel only through its renderer.
 */
export function digestNotificationOf(digest: Digest): SnsNotification {
  const { incident } = digest;
  const jobs = [...digest.jobs].sort();
  const total = 1 + incident.reportedCount + jobs.length;
  const verdict: Line = [
    `${jobs.length} more job(s) failed with the same cause as `,
    { code: incident.firstJob },
  ];
  const message: Message = {
    ...originWarningOf(incident.cause.origin),
    verdict,
    subject: verdict,
    nextStep: ['One fix covers them all: approve or apply it once, from the first message of this thread.'],
    evidence: [
      {
        kind: 'lines',
        lines: [
          ['Same cause: ', { code: incident.title }],
          [
            `${total} job(s) in this incident so far, ${time(incident.firstAt)} to ${time(incident.lastAt)} (UTC).`,
          ],
          jobList(jobs),
        ],
      },
    ],
    keywords: [incident.cause.fixLocation, digest.final ? 'incident-closed' : 'incident-open'],
  };
  return assemble(
    message,
    {
      eventType: 'SageMakerPermissionIncidentDigest',
      threadId: incident.threadId,
      relatedResources: [],
      additionalContext: {
        incidentId: incident.incidentId,
        jobCount: String(total),
        firstJob: incident.firstJob,
      },
    },
    {
      digest: {
        incidentId: incident.incidentId,
        cause: incident.cause,
        firstJob: incident.firstJob,
        jobs,
        jobCount: total,
        firstAt: time(incident.firstAt),
        lastAt: time(incident.lastAt),
        final: digest.final,
      },
      category: incident.attributes.category,
    },
    { ...incident.attributes, jobName: incident.firstJob },
  );
}
