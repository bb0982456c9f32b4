/**
 * IAM adapters: check a proposal against the role's live policies, read the role's opt-in tag, and
 * attach an approved policy without leaving anything partial behind.
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
import { rolePatternMatches } from '../../core/guard.js';
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

async function inlinePolicyNames(client: IAMClient, roleName: string): Promise<string[]> {
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
const policySize = (document: string): number => document.replace(/\s+/g, '').length;

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
  | { readonly status: 'applied' | 'already-applied'; readonly policyName: string }
  | { readonly status: 'too-large'; readonly policyName: string; readonly aggregateSize: number };

/**
 * Attaches one inline policy named after its content. A name already present means a duplicate
 * event: nothing to do. Checks the role's aggregate inline size first.
 */
export async function applyPolicy(
  client: IAMClient,
  roleName: string,
  policyName: string,
  policy: PolicyDocument,
): Promise<ApplyResult> {
  const existing = await inlinePolicyNames(client, roleName);
  if (existing.includes(policyName)) return { status: 'already-applied', policyName };
  let aggregateSize = policySize(JSON.stringify(policy));
  for (const name of existing) {
    const { PolicyDocument: document = '' } = await client.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
    );
    aggregateSize += policySize(decodeURIComponent(document));
  }
  if (aggregateSize > INLINE_POLICY_LIMIT) return { status: 'too-large', policyName, aggregateSize };
  try {
    await client.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(policy),
      }),
    );
  } catch (error) {
    // The call may have taken effect before it failed (a timeout after the write): remove it.
    await client
      .send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))
      .catch(() => undefined);
    // A transient failure fails the invocation, so that Lambda retries it (then the DLQ) and the
    // idempotency store does not keep it as the event's result; a refusal is the result.
    if (isTransient(error)) throw error;
    throw new ApplyError(`PutRolePolicy ${policyName} on ${roleName} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { status: 'applied', policyName };
}
