/**
 * IAM adapters: check a proposal against the role's live policies, read the role's opt-in tag, and
 * merge an approved policy into the role's one policy of the service, through the guard.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import type { AllowedPair, PolicyDocument, Verification } from '../../core/index.js';
import { ApplyError } from '../../core/errors.js';
import type { StoredStatement } from '../../core/grants.js';
import {
  GRANT_POLICY_NAME,
  isExpired,
  mergeGrants,
  parseStoredPolicy,
  timeBound,
} from '../../core/grants.js';
import type { GrantWrite } from '../../core/guard.js';
import { grantWriteRefusals, refusalText, rolePatternMatches } from '../../core/guard.js';
import { roleNameOf } from '../../core/job-context.js';
import { INLINE_POLICY_LIMIT } from '../../core/propose.js';

const isPlaceholder = (resource: string): boolean => resource.includes('<');

/**
 * Simulates every statement of the proposal for the role. Any failure (AccessDenied, a server that
 * does not implement the API) degrades to `unverified`, never to silence.
 */
export async function verifyPolicy(
  client: IAMClient,
  roleArn: string,
  policy: PolicyDocument,
): Promise<Verification> {
  const allowed: AllowedPair[] = [];
  try {
    for (const statement of policy.Statement) {
      const resources = statement.Resource.filter((resource) => !isPlaceholder(resource));
      if (resources.length === 0) continue;
      const prefix = statement.Condition?.StringLike?.['s3:prefix']?.[0];
      let marker: string | undefined;
      do {
        const page = await client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: [...statement.Action],
            ResourceArns: [...resources],
            ContextEntries: prefix
              ? [{ ContextKeyName: 's3:prefix', ContextKeyType: 'string', ContextKeyValues: [prefix] }]
              : undefined,
            Marker: marker,
          }),
        );
        for (const result of page.EvaluationResults ?? []) {
          const action = result.EvalActionName ?? '';
          const perResource = result.ResourceSpecificResults ?? [];
          if (perResource.length > 0) {
            perResource
              .filter((r) => r.EvalResourceDecision === 'allowed')
              .forEach((r) => allowed.push({ action, resource: r.EvalResourceName ?? '' }));
          } else if (result.EvalDecision === 'allowed') {
            allowed.push({ action, resource: result.EvalResourceName ?? '*' });
          }
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
    }
  } catch (error) {
    const { name, message } = error as Error;
    return {
      status: 'unverified',
      reason: `SimulatePrincipalPolicy failed: ${name}: ${message.slice(0, 200)}`,
    };
  }
  return { status: 'verified', allowed };
}

async function roleTags(client: IAMClient, roleName: string): Promise<Record<string, string>> {
  const { Role } = await client.send(new GetRoleCommand({ RoleName: roleName }));
  return Object.fromEntries((Role?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/**
 * The role's tags, for the guard's opt-in tag; read only when no name pattern opts the role in
 * already. A failure to read them is logged and counts as no tags.
 */
export async function optInTags(
  client: IAMClient,
  roleArn: string | undefined,
  roleNamePatterns: readonly string[],
  logger: Pick<Logger, 'warn'>,
): Promise<Record<string, string>> {
  const roleName = roleNameOf(roleArn);
  if (!roleName || roleNamePatterns.some((pattern) => rolePatternMatches(pattern, roleArn))) return {};
  return roleTags(client, roleName).catch((error: Error) => {
    logger.warn('could not read role tags', { roleName, error: error.message });
    return {};
  });
}

export async function inlinePolicyNames(client: IAMClient, roleName: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return names;
}

/** IAM counts inline policy size without white space; GetRolePolicy returns documents URL-encoded. */
export const policySize = (document: string): number => document.replace(/\s+/g, '').length;

/** Throttling answers are client faults in the SDK's terms, but they pass. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/**
 * True for what may pass on its own: a server fault, throttling, or no answer at all (a timeout, a
 * reset connection). A client fault (AccessDenied, MalformedPolicyDocument, NoSuchEntity,
 * LimitExceeded, UnmodifiableEntity) is a refusal that a retry would only repeat.
 */
export function isTransient(error: unknown): boolean {
  const { name, $fault, $retryable, $metadata } = error as {
    name?: string;
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if ($retryable || THROTTLING.has(name ?? '') || $fault === 'server') return true;
  return $fault !== 'client' && ($metadata?.httpStatusCode === undefined || $metadata.httpStatusCode >= 500);
}

export type ApplyResult =
  | {
      /** `renewed`: every approved statement was on the role already; its expiry moved. */
      readonly status: 'applied' | 'renewed';
      readonly policyName: string;
      /** The merged document now on the role. */
      readonly document: string;
    }
  | { readonly status: 'too-large'; readonly policyName: string; readonly aggregateSize: number };

/** One guard-approved write: the policy, the record it comes from, and when it expires. */
export interface GrantToWrite {
  readonly roleName: string;
  /** Exactly what the guard approved. */
  readonly policy: PolicyDocument;
  readonly recordId: string;
  /** None for `grantTtlDays` 0. */
  readonly expiresAt?: string;
  readonly now: Date;
}

/**
 * The statements of one of the role's inline policies, or none when it is absent. A policy it cannot
 * read as statements is an {@link ApplyError}: a write would replace what it could not see (a Deny
 * put there by hand among it), so nothing is written.
 */
export async function storedStatements(
  client: IAMClient,
  roleName: string,
  policyName: string,
): Promise<readonly StoredStatement[] | undefined> {
  let document: string;
  try {
    ({ PolicyDocument: document = '' } = await client.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    ));
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException' || (error as Error).name === 'NoSuchEntity')
      return undefined;
    throw error;
  }
  const statements = parseStoredPolicy(document);
  if (!statements)
    throw new ApplyError(`${policyName} on ${roleName} is not a policy of statements: left as it is`);
  return statements;
}

/**
 * Writes a merged policy the guard has checked, or deletes it when nothing is left; a guard refusal
 * is an {@link ApplyError} and nothing is written.
 */
export async function writeCheckedPolicy(
  client: IAMClient,
  roleName: string,
  write: GrantWrite,
): Promise<string> {
  const refusals = grantWriteRefusals(write);
  if (refusals.length > 0) throw new ApplyError(`not written to ${roleName}: ${refusalText(refusals)}`);
  const document = JSON.stringify({ Version: '2012-10-17', Statement: write.next });
  const target = { RoleName: roleName, PolicyName: write.policyName };
  try {
    // Nothing left: the policy goes, by the same refusal handling as a write.
    await (write.next.length === 0
      ? client.send(new DeleteRolePolicyCommand(target))
      : client.send(new PutRolePolicyCommand({ ...target, PolicyDocument: document })));
  } catch (error) {
    // The call may have taken effect before it failed (a timeout after the write): put back what
    // was there, or remove it when nothing was.
    const previous = JSON.stringify({ Version: '2012-10-17', Statement: write.current });
    await (
      write.current.length === 0
        ? client.send(new DeleteRolePolicyCommand(target))
        : client.send(new PutRolePolicyCommand({ ...target, PolicyDocument: previous }))
    ).catch(() => undefined);
    // A transient failure fails the invocation, so that Lambda retries it (then the DLQ) and the
    // idempotency store does not keep it as the event's result; a refusal is the result.
    if (isTransient(error)) throw error;
    throw new ApplyError(
      `${write.next.length === 0 ? 'DeleteRolePolicy' : 'PutRolePolicy'} ${write.policyName} on ${roleName} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return document;
}

/**
 * Merges a guard-approved policy into the role's one policy of the service, time-bound and pointing
 * at its record; expired statements are dropped and a rerun renews. Checks the role's aggregate
 * inline size first: past IAM's limit nothing is written.
 */
export async function applyPolicy(client: IAMClient, grant: GrantToWrite): Promise<ApplyResult> {
  const { roleName, now } = grant;
  const policyName = GRANT_POLICY_NAME;
  const existing = await inlinePolicyNames(client, roleName);
  const current = existing.includes(policyName)
    ? ((await storedStatements(client, roleName, policyName)) ?? [])
    : [];
  const approved = timeBound(grant.policy, grant);
  const merged = mergeGrants(current, approved, now);
  let aggregateSize = policySize(JSON.stringify(merged));
  for (const name of existing.filter((n) => n !== policyName)) {
    const { PolicyDocument: document = '' } = await client.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
    );
    aggregateSize += policySize(decodeURIComponent(document));
  }
  if (aggregateSize > INLINE_POLICY_LIMIT) return { status: 'too-large', policyName, aggregateSize };
  const document = await writeCheckedPolicy(client, roleName, {
    policyName,
    current,
    next: merged.Statement,
    approved,
    expiresAt: grant.expiresAt,
  });
  const renewed = merged.Statement.length === current.filter((s) => !isExpired(s, now)).length;
  return { status: renewed ? 'renewed' : 'applied', policyName, document };
}
