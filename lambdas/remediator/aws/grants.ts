/**
 * The grant lifecycle against IAM and DynamoDB: record why a write happened, list the service's
 * policies on the account's roles, revoke or undo one, and clean up what expired or went unused.
 * Every change goes through the guard ({@link revocationRefusals}, {@link writeCheckedPolicy}).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  paginateScan,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  DeleteRolePolicyCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetServiceLastAccessedDetailsCommand,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import type {
  CleanedPolicy,
  CleanupReport,
  FailedCleanup,
  GrantApproval,
  GrantRecord,
  GrantState,
  RecordFacts,
  StoredStatement,
} from '../../core/grants.js';
import {
  actionsOfStatement,
  earliestExpiryOf,
  expiresAtOf,
  grantRecordIdOf,
  grantRecordOf,
  timeBound,
  grantStateOf,
  isExpired,
  isServicePolicyName,
  GRANT_STATES,
  recordFactsOf,
  recordIdOfSid,
  removedRecordsOf,
  withoutRecord,
} from '../../core/grants.js';
import { refusalText, revocationRefusals, rolePatternMatches } from '../../core/guard.js';
import { ApplyError } from '../../core/errors.js';
import type { Diagnosis, JobContext, PolicyDocument } from '../../core/index.js';
import type { ApplyResult } from './iam.js';
import { applyPolicy, inlinePolicyNames, storedStatements, writeCheckedPolicy } from './iam.js';
import { storedJsonOf } from './proposals.js';

/** Where a write goes and where its record is kept. */
export interface GrantTarget {
  readonly iam: IAMClient;
  readonly dynamodb?: DynamoDBClient;
  /** Without a table no record is kept (local runs); the Sids still carry the record id. */
  readonly grantsTableName?: string;
}

/**
 * One guard-approved write with its record: merged into the role's policy of the service, expiring
 * after `ttlDays`, Sids pointing at the record. The record is kept once IAM took the write; if
 * keeping it fails the invocation fails and its retry renews the grant under a new record.
 */
export async function writeGrant(
  target: GrantTarget,
  write: {
    readonly roleName: string;
    readonly policy: PolicyDocument;
    readonly job: JobContext;
    readonly diagnosis: Diagnosis;
    readonly approvedBy: GrantApproval;
    readonly ttlDays: number;
    readonly now: Date;
  },
): Promise<ApplyResult & { readonly recordId: string; readonly expiresAt?: string }> {
  const { now } = write;
  const expiresAt = expiresAtOf(now, write.ttlDays);
  // The role written, by account and name: the job's own ARN alone would give two roles one id.
  const recordId = grantRecordIdOf(`${write.job.accountId ?? ''}:${write.roleName}`, write.policy, now);
  const result = await applyPolicy(target.iam, {
    roleName: write.roleName,
    policy: write.policy,
    recordId,
    expiresAt,
    now,
  });
  if (result.status !== 'too-large' && target.dynamodb && target.grantsTableName) {
    await recordGrant(
      target.dynamodb,
      target.grantsTableName,
      grantRecordOf({
        ...write,
        recordId,
        policyName: result.policyName,
        written: timeBound(write.policy, { recordId, expiresAt }),
        expiresAt,
        writtenAt: now,
      }),
    );
  }
  return { ...result, recordId, expiresAt };
}

/** Keeps the record of a write; records are kept (no expiry): they are the audit trail. */
export async function recordGrant(
  client: DynamoDBClient,
  tableName: string,
  record: GrantRecord,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { id: { S: record.recordId }, record: { S: JSON.stringify(record) } },
    }),
  );
}

/** A record as stored: its JSON (untrusted: the caller checks it) and its undo, if any. */
export interface StoredGrantRecord {
  readonly record: unknown;
  readonly undoneAt?: string;
  readonly undoneBy?: string;
}

/** Reads one record, consistently; undefined when there is none. */
export async function readGrantRecord(
  client: DynamoDBClient,
  tableName: string,
  recordId: string,
): Promise<StoredGrantRecord | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { id: { S: recordId } }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return { record: storedJsonOf(Item), undoneAt: Item.undoneAt?.S, undoneBy: Item.undoneBy?.S };
}

/** Claims the one undo of a record (who, when): false when another undo claimed it first. */
export async function claimUndo(
  client: DynamoDBClient,
  tableName: string,
  recordId: string,
  undo: { readonly at: Date; readonly by: string },
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: recordId } },
        UpdateExpression: 'SET undoneAt = :at, undoneBy = :by',
        ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(undoneAt)',
        ExpressionAttributeValues: {
          ':at': { S: undo.at.toISOString() },
          ':by': { S: undo.by.slice(0, 200) },
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Gives back a claim whose removal failed, with why, so that a later click may try again. */
export async function releaseUndo(
  client: DynamoDBClient,
  tableName: string,
  recordId: string,
  failure: { readonly at: Date; readonly reason: string },
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { id: { S: recordId } },
      UpdateExpression: 'REMOVE undoneAt, undoneBy SET undoFailedAt = :at, undoFailure = :why',
      ConditionExpression: 'undoneAt = :at',
      ExpressionAttributeValues: {
        ':at': { S: failure.at.toISOString() },
        ':why': { S: failure.reason.slice(0, 1000) },
      },
    }),
  );
}

/** One of the service's policies on a role, as IAM holds it now. */
export interface GrantListing {
  readonly roleName: string;
  readonly roleArn: string;
  readonly policyName: string;
  readonly statements: readonly StoredStatement[];
  /** The earliest expiry of its statements; null when some statement does not expire. */
  readonly expiresAt: string | null;
  readonly state: GrantState;
  /** The record of the latest write, from the last statement's Sid; null for a policy edited by hand. */
  readonly recordId: string | null;
}

/**
 * Every `sagemaker-iam-remediator-*` inline policy on the account's roles whose names match the
 * patterns (all roles without patterns), under any path. With `records` (the record table, read by
 * the caller), each is judged against what was written, and a record whose statements are gone by
 * hand is listed as `removed`.
 */
export async function listGrants(
  client: IAMClient,
  options: {
    readonly rolePatterns: readonly string[];
    readonly now: Date;
    readonly records?: ReadonlyMap<string, RecordFacts>;
  },
): Promise<GrantListing[]> {
  const { now, records, rolePatterns } = options;
  const opted = (roleArn: string | undefined) =>
    rolePatterns.length === 0 || rolePatterns.some((pattern) => rolePatternMatches(pattern, roleArn));
  const listings: GrantListing[] = [];
  for await (const page of paginateListRoles({ client }, {})) {
    for (const role of page.Roles ?? []) {
      const roleName = role.RoleName ?? '';
      if (!opted(role.Arn)) continue;
      const names = (await inlinePolicyNames(client, roleName)).filter(isServicePolicyName);
      for (const policyName of names) {
        // One that cannot be read as statements is listed as edited, with none: nothing cleans it.
        const readable = await storedStatements(client, roleName, policyName).catch((error: unknown) => {
          if (error instanceof ApplyError) return null;
          throw error;
        });
        const statements = readable ?? [];
        listings.push({
          roleName,
          roleArn: role.Arn ?? '',
          policyName,
          statements,
          expiresAt: earliestExpiryOf(statements),
          state:
            readable === null ? GRANT_STATES.edited : grantStateOf(statements, now, { policyName, records }),
          recordId: recordIdOfSid(statements.at(-1)?.Sid) ?? null,
        });
      }
    }
  }
  const held = new Set(listings.flatMap((l) => l.statements.map((s) => recordIdOfSid(s.Sid) ?? '')));
  const removed = removedRecordsOf(records?.values() ?? [], held, now)
    .filter((record) => opted(record.roleArn ?? undefined))
    .map((record): GrantListing => ({
      roleName: record.roleName,
      roleArn: record.roleArn ?? '',
      policyName: record.policyName,
      statements: record.statements,
      expiresAt: record.expiresAt,
      state: GRANT_STATES.removed,
      recordId: record.recordId,
    }));
  return [...listings, ...removed].sort(
    (a, b) =>
      a.roleName.localeCompare(b.roleName) ||
      a.policyName.localeCompare(b.policyName) ||
      (a.recordId ?? '').localeCompare(b.recordId ?? ''),
  );
}

/** Every record of the table, by id (for `grants`, run with the operator's credentials). */
export async function readGrantRecords(
  client: DynamoDBClient,
  tableName: string,
): Promise<Map<string, RecordFacts>> {
  const records = new Map<string, RecordFacts>();
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const facts = recordFactsOf({
        record: storedJsonOf(item),
        undoneAt: item.undoneAt?.S,
        removedAt: item.removedAt?.S,
        unused: item.unused?.BOOL,
      });
      if (facts && facts.recordId === item.id?.S) records.set(facts.recordId, facts);
    }
  }
  return records;
}

/**
 * What the cleanup learnt of each record: unused at its review, or its statements removed (expired,
 * or unused and removed). A record that does not exist (a Sid edited by hand) is left alone.
 */
export const markRecords =
  (client: DynamoDBClient, tableName: string) =>
  async (marks: readonly RecordMark[], at: Date): Promise<void> => {
    for (const mark of marks) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { id: { S: mark.recordId } },
            UpdateExpression: mark.removed
              ? 'SET reviewedAt = :at, unused = :unused, removedAt = :at'
              : 'SET reviewedAt = :at, unused = :unused',
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeValues: { ':at': { S: at.toISOString() }, ':unused': { BOOL: mark.unused } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  };

/** One record as the cleanup found it. */
export interface RecordMark {
  readonly recordId: string;
  readonly unused: boolean;
  readonly removed: boolean;
}

/**
 * Deletes one of the service's policies; any other name is refused before IAM is called. The
 * deletion passes the write guard like any removal: one holding a Deny (put there by hand) is refused.
 */
export async function revokeGrant(client: IAMClient, roleName: string, policyName: string): Promise<void> {
  const refusals = revocationRefusals(policyName);
  if (refusals.length > 0) throw new ApplyError(`not revoked: ${refusalText(refusals)}`);
  const current = await storedStatements(client, roleName, policyName);
  if (current === undefined) {
    // Nothing there: IAM says so (NoSuchEntity), as before.
    await client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return;
  }
  await writeCheckedPolicy(client, roleName, { policyName, current, next: [] });
}

/** Removes one record's statements from the role's policy of the service (deletes it when empty). */
export async function removeRecord(
  client: IAMClient,
  target: { readonly roleName: string; readonly policyName: string; readonly recordId: string },
): Promise<number> {
  const current = (await storedStatements(client, target.roleName, target.policyName)) ?? [];
  const next = withoutRecord(current, target.recordId);
  if (next.length === current.length) return 0;
  await writeCheckedPolicy(client, target.roleName, { policyName: target.policyName, current, next });
  return current.length - next.length;
}

/**
 * When a role last used each service (`s3`) and, where IAM tracks actions, each action
 * (`s3:GetObject`): undefined for never within IAM's tracking period.
 */
export type LastAccessed = (roleArn: string) => Promise<ReadonlyMap<string, Date | undefined>>;

/** IAM's last-accessed data, action level where IAM tracks it; polls the report job briefly. */
export const iamLastAccessed =
  (client: IAMClient, pollMs = 1_000, polls = 20): LastAccessed =>
  async (roleArn) => {
    const { JobId } = await client.send(
      new GenerateServiceLastAccessedDetailsCommand({ Arn: roleArn, Granularity: 'ACTION_LEVEL' }),
    );
    for (let attempt = 0; attempt < polls; attempt += 1) {
      const report = await client.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
      if (report.JobStatus === 'FAILED')
        throw new Error(`last-accessed report failed: ${report.Error?.Message}`);
      if (report.JobStatus === 'COMPLETED') {
        const seen = new Map<string, Date | undefined>();
        for (const service of report.ServicesLastAccessed ?? []) {
          seen.set(service.ServiceNamespace ?? '', service.LastAuthenticated);
          for (const action of service.TrackedActionsLastAccessed ?? [])
            seen.set(`${service.ServiceNamespace}:${action.ActionName}`, action.LastAccessedTime);
        }
        return seen;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    throw new Error('the last-accessed report did not complete in time');
  };

/** True when no action of the statement was used since `since` (action level where tracked). */
function isUnused(
  statement: StoredStatement,
  seen: ReadonlyMap<string, Date | undefined>,
  since: Date,
): boolean {
  return actionsOfStatement(statement).every((action) => {
    const service = action.split(':')[0]?.toLowerCase() ?? '';
    const actionKey = `${service}:${action.slice(service.length + 1)}`;
    const last = seen.has(actionKey) ? seen.get(actionKey) : seen.get(service);
    return last === undefined || last.getTime() < since.getTime();
  });
}

export interface CleanupOptions {
  readonly rolePatterns: readonly string[];
  readonly now: Date;
  /** Report statements unused for this many days; none skips the review. */
  readonly reviewUnusedDays?: number;
  /** Delete unused statements too, not only report them. @default false */
  readonly removeUnusedGrants?: boolean;
  readonly lastAccessed?: LastAccessed;
  /** Keeps what the cleanup learnt of each record (the record table); none keeps nothing. */
  readonly markRecords?: (marks: readonly RecordMark[], at: Date) => Promise<void>;
}

const sidsOf = (statements: readonly StoredStatement[]): string[] =>
  statements.map((s) => (typeof s.Sid === 'string' ? s.Sid : '(no Sid)'));

/**
 * The scheduled cleanup: expired statements are removed (a policy left empty is deleted); with
 * `reviewUnusedDays`, statements the role has not used that long are reported, and removed only with
 * `removeUnusedGrants`.
 */
export async function cleanupGrants(client: IAMClient, options: CleanupOptions): Promise<CleanupReport> {
  const report = {
    removedExpired: [] as CleanedPolicy[],
    unused: [] as CleanedPolicy[],
    failed: [] as FailedCleanup[],
    activeStatements: 0,
  };
  const marks: RecordMark[] = [];
  for (const grant of await listGrants(client, options)) {
    try {
      const cleaned = await cleanPolicy(client, grant, options);
      if (cleaned.expired) report.removedExpired.push(cleaned.expired);
      if (cleaned.unused) report.unused.push(cleaned.unused);
      marks.push(...cleaned.marks);
      report.activeStatements += cleaned.left;
    } catch (error) {
      // One role IAM will not let the service change (its tag removed, say) never stops the others.
      if (!(error instanceof ApplyError)) throw error;
      report.failed.push({ roleName: grant.roleName, policyName: grant.policyName, reason: error.message });
      report.activeStatements += grant.statements.length;
    }
  }
  await options.markRecords?.(marks, options.now);
  return { ...report, removedUnused: options.removeUnusedGrants === true };
}

const recordsOf = (statements: readonly StoredStatement[]): Set<string> =>
  new Set(statements.map((s) => recordIdOfSid(s.Sid)).filter((id): id is string => id !== undefined));

/** One policy's cleanup: what it removed or found unused, the records' marks, the statements left. */
async function cleanPolicy(
  client: IAMClient,
  grant: GrantListing,
  options: CleanupOptions,
): Promise<{ expired?: CleanedPolicy; unused?: CleanedPolicy; marks: RecordMark[]; left: number }> {
  const { now } = options;
  const where = { roleName: grant.roleName, policyName: grant.policyName };
  const marks: RecordMark[] = [];
  // Only Allows are taken out: removing a Deny put there by hand would widen the role (the guard
  // refuses it too); a Deny is never "used", so it is never reported unused either.
  const removable = (s: StoredStatement) => s.Effect === 'Allow';
  const expired = grant.statements.filter((s) => removable(s) && isExpired(s, now));
  let current = grant.statements;
  if (expired.length > 0) {
    const next = current.filter((s) => !expired.includes(s));
    await writeCheckedPolicy(client, grant.roleName, { policyName: grant.policyName, current, next });
    const left = recordsOf(next);
    for (const recordId of recordsOf(expired))
      if (!left.has(recordId)) marks.push({ recordId, unused: false, removed: true });
    current = next;
  }
  const removedExpired = expired.length > 0 ? { ...where, sids: sidsOf(expired) } : undefined;
  if (options.reviewUnusedDays === undefined || !options.lastAccessed || current.length === 0)
    return { expired: removedExpired, marks, left: current.length };
  const since = new Date(now.getTime() - options.reviewUnusedDays * 24 * 60 * 60 * 1000);
  const seen = await options.lastAccessed(grant.roleArn);
  const idle = current.filter((s) => removable(s) && isUnused(s, seen, since));
  const removing = idle.length > 0 && options.removeUnusedGrants === true;
  if (removing) {
    const next = current.filter((s) => !idle.includes(s));
    await writeCheckedPolicy(client, grant.roleName, { policyName: grant.policyName, current, next });
  }
  // A record is unused when every one of its statements is.
  const used = recordsOf(current.filter((s) => !idle.includes(s)));
  for (const recordId of recordsOf(current)) {
    const isIdle = !used.has(recordId);
    marks.push({ recordId, unused: isIdle, removed: isIdle && removing });
  }
  return {
    expired: removedExpired,
    unused: idle.length > 0 ? { ...where, sids: sidsOf(idle) } : undefined,
    marks,
    left: current.length - (removing ? idle.length : 0),
  };
}
