/**
 * The lifecycle of what the service grants: every statement it writes expires (IAM enforces
 * `DateLessThan aws:CurrentTime`), names the record of why in its `Sid`, and lives in one merged
 * inline policy per role. Pure: the clock and the role's current policy are inputs.
 */
import { createHash } from 'node:crypto';
import type { PolicyDocument, PolicyStatement } from './propose.js';
import { expiringAt, policyNameOf, POLICY_NAME_PREFIX, shellQuote } from './propose.js';
import { parseArn, roleNameOf } from './job-context.js';
import type { Diagnosis, JobContext } from './types.js';

/** The one inline policy per role that the service's writes merge into. */
export const GRANT_POLICY_NAME = `${POLICY_NAME_PREFIX}grants`;

export const GRANT_DEFAULTS = {
  /** Days a written statement stays valid; 0 means no expiry and must be chosen explicitly. */
  ttlDays: 30,
} as const;

/**
 * The states `grants` reports for a policy of the service: `expired` every statement has; `edited`
 * IAM holds a statement no record wrote, or not what its record wrote; `unused` the last cleanup
 * found every record on it unused; `removed` a record's statements are gone from the role by hand.
 */
export const GRANT_STATES = {
  active: 'active',
  expired: 'expired',
  unused: 'unused',
  edited: 'edited',
  removed: 'removed',
} as const;
export type GrantState = (typeof GRANT_STATES)[keyof typeof GRANT_STATES];

/** True for a policy name the service owns: the prefix and something after it. */
export const isServicePolicyName = (name: string): boolean =>
  name.startsWith(POLICY_NAME_PREFIX) && name.length > POLICY_NAME_PREFIX.length;

/** A statement as read back from IAM: anything a hand may have put there. */
export type StoredStatement = Readonly<
  Partial<
    Record<'Sid' | 'Effect' | 'Action' | 'NotAction' | 'Resource' | 'NotResource' | 'Condition', unknown>
  >
>;

const EXPIRY_OPERATOR = 'DateLessThan';
const EXPIRY_KEY = 'aws:CurrentTime';
const DAY_MS = 24 * 60 * 60 * 1000;
/** A record id is 16 lower-case hex digits; a Sid ends with `R` and the id. */
const RECORD_SID = /R([0-9a-f]{16})$/;
const RECORD_ID = /^[0-9a-f]{16}$/;

/** The key of the Undo button's input, `{"undo": "<record id>"}`: the id is all a click carries. */
export const UNDO_KEY = 'undo';

export const isUndoEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && Object.hasOwn(event, UNDO_KEY);

/** The record id an undo asks for, when it is one; anything else is dropped, never echoed. */
export function undoIdOf(event: unknown): string | undefined {
  const id = isUndoEvent(event) ? (event as Record<string, unknown>)[UNDO_KEY] : undefined;
  return typeof id === 'string' && RECORD_ID.test(id) ? id : undefined;
}

/** `grantTtlDays` checked: a whole number of days, 0 for no expiry. */
export function checkedTtlDays(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 3650)
    throw new RangeError(
      `grantTtlDays must be a whole number of days from 0 (no expiry) to 3650, not ${value}`,
    );
  return value;
}

/** When a statement written now expires, or undefined for `ttlDays` 0. Whole seconds, ISO. */
export function expiresAtOf(now: Date, ttlDays: number): string | undefined {
  if (checkedTtlDays(ttlDays) === 0) return undefined;
  const at = new Date(Math.floor((now.getTime() + ttlDays * DAY_MS) / 1000) * 1000);
  return at.toISOString().replace('.000Z', 'Z');
}

/** The id of the record of one write: to whom, what and when, so that the Sids point back to it. */
export const grantRecordIdOf = (role: string, policy: PolicyDocument, writtenAt: Date): string =>
  createHash('sha256')
    .update(JSON.stringify([role, policy, writtenAt.toISOString()]))
    .digest('hex')
    .slice(0, 16);

/** The record id a statement's Sid carries, if any. */
export const recordIdOfSid = (sid: unknown): string | undefined =>
  typeof sid === 'string' ? RECORD_SID.exec(sid)?.[1] : undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The expiry a statement carries (`DateLessThan aws:CurrentTime`), if exactly one. */
export function expiryOf(statement: StoredStatement): string | undefined {
  const condition = statement.Condition;
  if (!isRecord(condition)) return undefined;
  const operator = condition[EXPIRY_OPERATOR];
  if (!isRecord(operator)) return undefined;
  const value = operator[EXPIRY_KEY];
  const single = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  return typeof single === 'string' && !Number.isNaN(Date.parse(single)) ? single : undefined;
}

export const isExpired = (statement: StoredStatement, now: Date): boolean => {
  const expiry = expiryOf(statement);
  return expiry !== undefined && Date.parse(expiry) <= now.getTime();
};

/**
 * The statements of a guard-approved policy as written: each Sid carries the record id, and each
 * statement expires at `expiresAt` (none when it is undefined).
 */
export function timeBound(
  policy: PolicyDocument,
  grant: { readonly recordId: string; readonly expiresAt?: string },
): PolicyDocument {
  const expiring = expiringAt(policy, grant.expiresAt);
  return {
    Version: expiring.Version,
    Statement: expiring.Statement.map((statement): PolicyStatement => ({
      ...statement,
      Sid: `${statement.Sid}R${grant.recordId}`,
    })),
  };
}

/** What a statement grants, less its Sid and expiry: two writes of the same fix have the same key. */
function grantKeyOf(statement: StoredStatement): string {
  const { Sid: _sid, Condition: condition, ...rest } = statement;
  const remaining = isRecord(condition)
    ? Object.fromEntries(Object.entries(condition).filter(([operator]) => operator !== EXPIRY_OPERATOR))
    : condition;
  const hasRemaining = isRecord(remaining) ? Object.keys(remaining).length > 0 : remaining !== undefined;
  return JSON.stringify({ ...rest, ...(hasRemaining ? { Condition: remaining } : {}) });
}

/** A policy document read from IAM (GetRolePolicy answers URL-encoded JSON), or undefined. */
export function parseStoredPolicy(document: string): readonly StoredStatement[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return statements.every(isRecord) ? statements : undefined;
}

/**
 * The role's merged policy after a write: the current statements that have not expired, less those
 * the new ones renew (the same grant), then the new ones; only Allows are ever dropped. A rerun of the same fix renews it.
 */
export function mergeGrants(
  current: readonly StoredStatement[],
  added: PolicyDocument,
  now: Date,
): { readonly Version: '2012-10-17'; readonly Statement: readonly StoredStatement[] } {
  const renewed = new Set(added.Statement.map(grantKeyOf));
  // A statement that is not an Allow (a Deny put there by hand) stays: removing it widens the role.
  const kept = current.filter(
    (s) => s.Effect !== 'Allow' || (!isExpired(s, now) && !renewed.has(grantKeyOf(s))),
  );
  return { Version: '2012-10-17', Statement: [...kept, ...added.Statement] };
}

/** What the record table says of one record, as the listing compares it with IAM. */
export type RecordFacts = Pick<
  GrantRecord,
  'recordId' | 'roleName' | 'roleArn' | 'policyName' | 'accountId' | 'region' | 'expiresAt'
> & {
  /** Exactly the statements written, as read back (untrusted). */
  readonly statements: readonly StoredStatement[];
  /** Taken back on purpose (an undo, or the cleanup): its statements are meant to be gone. */
  readonly closed: boolean;
  /** The last cleanup's review found every statement of it unused. */
  readonly unused: boolean;
};

/** A stored record (untrusted JSON) and its marks, or undefined when it is not one. */
export function recordFactsOf(stored: {
  readonly record: unknown;
  readonly undoneAt?: string;
  readonly removedAt?: string;
  readonly unused?: boolean;
}): RecordFacts | undefined {
  const { record } = stored;
  if (!isRecord(record)) return undefined;
  const { recordId, roleName, roleArn, policyName, accountId, region, statements, expiresAt } = record;
  if (typeof recordId !== 'string' || typeof roleName !== 'string' || typeof policyName !== 'string')
    return undefined;
  const optional = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    recordId,
    roleName,
    roleArn: optional(roleArn),
    policyName,
    accountId: optional(accountId),
    region: optional(region),
    // What is not a statement is dropped: the record then differs from IAM, and shows as edited.
    statements: Array.isArray(statements) ? statements.filter(isRecord) : [],
    expiresAt: optional(expiresAt),
    closed: stored.undoneAt !== undefined || stored.removedAt !== undefined,
    unused: stored.unused === true,
  };
}

/** JSON with every object's keys sorted, at every depth: IAM may give keys back in another order. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : isRecord(value)
      ? `{${Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
          .join(',')}}`
      : JSON.stringify(value);

const sameStatement = (a: StoredStatement, b: StoredStatement): boolean => canonical(a) === canonical(b);

/**
 * The state of one of the service's policies as IAM holds it, against the records when there are
 * some (`records` undefined: no record table was read, so only what IAM shows is judged). A policy of
 * another name whose statements name no record was written before records existed (0.1, named after
 * its content): it is judged by its expiry alone.
 */
export function grantStateOf(
  statements: readonly StoredStatement[],
  now: Date,
  context: { readonly policyName?: string; readonly records?: ReadonlyMap<string, RecordFacts> } = {},
): GrantState {
  const { records } = context;
  if (statements.length > 0 && statements.every((s) => isExpired(s, now))) return GRANT_STATES.expired;
  const ids = statements.map((s) => recordIdOfSid(s.Sid));
  const unrecorded = ids.filter((id) => id === undefined).length;
  if (
    unrecorded === ids.length &&
    context.policyName !== undefined &&
    context.policyName !== GRANT_POLICY_NAME
  )
    return GRANT_STATES.active;
  if (unrecorded > 0) return GRANT_STATES.edited;
  if (!records) return GRANT_STATES.active;
  const facts = [...new Set(ids as string[])].map((id) => records.get(id));
  const edited = facts.some(
    (fact) =>
      !fact ||
      fact.statements.length !== statements.filter((s) => recordIdOfSid(s.Sid) === fact.recordId).length ||
      fact.statements.some((written) => !statements.some((held) => sameStatement(held, written))),
  );
  if (edited) return GRANT_STATES.edited;
  return facts.every((fact) => fact?.unused) ? GRANT_STATES.unused : GRANT_STATES.active;
}

/**
 * The records whose statements are all gone from their role although nothing took them back and
 * they have not expired: removed by hand. `held` is the record ids IAM shows on each role's policy.
 */
export function removedRecordsOf(
  records: Iterable<RecordFacts>,
  held: ReadonlySet<string>,
  now: Date,
): RecordFacts[] {
  return [...records].filter(
    (record) =>
      !record.closed &&
      !held.has(record.recordId) &&
      (record.expiresAt === null || Date.parse(record.expiresAt) > now.getTime()),
  );
}

/** The earliest expiry of a policy's statements: when (part of) it stops working. */
export function earliestExpiryOf(statements: readonly StoredStatement[]): string | null {
  const expiries = statements.map(expiryOf);
  if (expiries.some((e) => e === undefined)) return null;
  return [...(expiries as string[])].sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null;
}

/** The IAM actions a statement names, as strings. */
export const actionsOfStatement = (statement: StoredStatement): string[] => {
  const action = statement.Action;
  return (Array.isArray(action) ? action : [action]).filter((a): a is string => typeof a === 'string');
};

/** Who or what said yes to a write. */
export type GrantApproval =
  | { readonly kind: 'guard'; readonly refusals: readonly string[] }
  | { readonly kind: 'approval'; readonly proposalId: string; readonly approver: string };

/** The record of why one write happened; the written statements' Sids end with its id. */
export interface GrantRecord {
  readonly recordId: string;
  readonly roleName: string;
  readonly roleArn: string | null;
  readonly policyName: string;
  readonly accountId: string | null;
  readonly region: string | null;
  readonly jobName: string | null;
  readonly jobArn: string | null;
  readonly origin: JobContext['origin'];
  /** SHA-256 of the failure text: the text itself is untrusted and stays out of the record. */
  readonly failureReasonSha256: string | null;
  readonly diagnosis: { readonly ruleIds: readonly string[]; readonly actions: readonly string[] };
  readonly approvedBy: GrantApproval;
  /** Exactly the statements written. */
  readonly statements: PolicyDocument['Statement'];
  readonly expiresAt: string | null;
  readonly writtenAt: string;
}

/** The record of a write the guard approved for a diagnosis of a job. */
export function grantRecordOf(write: {
  readonly recordId: string;
  readonly roleName: string;
  readonly policyName: string;
  readonly job: JobContext;
  readonly diagnosis: Diagnosis;
  readonly approvedBy: GrantApproval;
  readonly written: PolicyDocument;
  readonly expiresAt?: string;
  readonly writtenAt: Date;
}): GrantRecord {
  const { job, diagnosis } = write;
  return {
    recordId: write.recordId,
    roleName: write.roleName,
    roleArn: job.roleArn ?? null,
    policyName: write.policyName,
    accountId: job.accountId ?? null,
    region: job.region ?? null,
    jobName: job.jobName ?? null,
    jobArn: job.jobArn ?? null,
    origin: job.origin,
    failureReasonSha256: job.failureReason
      ? createHash('sha256').update(job.failureReason).digest('hex')
      : null,
    diagnosis: {
      ruleIds:
        diagnosis.kind === 'permission'
          ? [...new Set(diagnosis.findings.map((f) => f.ruleId))]
          : diagnosis.ruleId
            ? [diagnosis.ruleId]
            : [],
      actions: [...new Set(write.written.Statement.flatMap((s) => s.Action))],
    },
    approvedBy: write.approvedBy,
    statements: write.written.Statement,
    expiresAt: write.expiresAt ?? null,
    writtenAt: write.writtenAt.toISOString(),
  };
}

/**
 * The statements of a merged policy less the Allows of one record: what an undo leaves. A Deny under
 * the record's Sid was put there by hand (the service writes only Allows): taking it would widen.
 */
export const withoutRecord = (
  statements: readonly StoredStatement[],
  recordId: string,
): readonly StoredStatement[] =>
  statements.filter((s) => s.Effect !== 'Allow' || recordIdOfSid(s.Sid) !== recordId);

/**
 * What a proposal offers when the role's inline policies would pass IAM's aggregate limit: the same
 * statements as a customer managed policy, attached to the role.
 */
export const managedPolicyOffer = (roleName: string, policy: PolicyDocument): string => {
  const name = policyNameOf(policy);
  return [
    'Attach it as a customer managed policy instead:',
    `aws iam create-policy --policy-name ${name} --policy-document ${shellQuote(JSON.stringify(policy))}`,
    `aws iam attach-role-policy --role-name ${shellQuote(roleName)} --policy-arn <the Arn that create-policy prints>`,
  ].join('\n');
};

/** The statements the cleanup took out of (or found unused in) one policy. */
export interface CleanedPolicy {
  readonly roleName: string;
  readonly policyName: string;
  readonly sids: readonly string[];
}

/** A policy the cleanup could not change, and IAM's or the guard's reason. */
export interface FailedCleanup {
  readonly roleName: string;
  readonly policyName: string;
  readonly reason: string;
}

/** What one scheduled cleanup did. */
export interface CleanupReport {
  readonly removedExpired: readonly CleanedPolicy[];
  readonly unused: readonly CleanedPolicy[];
  /** Policies left as they were because the change was refused; the others were cleaned. */
  readonly failed: readonly FailedCleanup[];
  readonly removedUnused: boolean;
  /** The service's statements left in force on the roles read. */
  readonly activeStatements: number;
}

/**
 * What an undo reads of a stored record (JSON from a table: untrusted): where its statements were
 * written. Undefined unless every field has its type and the role name is the ARN's.
 */
export interface UndoTarget {
  readonly recordId: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly policyName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

export function undoTargetOf(stored: unknown): UndoTarget | undefined {
  const facts = recordFactsOf({ record: stored });
  if (!facts?.roleArn || !facts.accountId || !facts.region) return undefined;
  const arn = parseArn(facts.roleArn);
  if (!arn || roleNameOf(facts.roleArn) !== facts.roleName) return undefined;
  const { recordId, roleName, roleArn, policyName, accountId, region } = facts;
  return { recordId, roleName, roleArn, policyName, accountId, region, partition: arn.partition };
}
