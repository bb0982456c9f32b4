/**
 * Reads the documented AWS AccessDenied message forms out of free text.
 *
 * The IAM User Guide (troubleshoot_access-denied) documents:
 * `User: P is not authorized to perform: A on resource: R because no <type> policy allows the A action`,
 * `... with an explicit deny in a <type> policy[: <policy ARN>]`, older messages with no reason clause
 * or a bare `with an explicit deny`. SDKs wrap them (`An error occurred (AccessDenied) when calling the
 * GetObject operation: ...`), and S3 often says only `Access Denied`; then the operation is all we have.
 */
import { canonicalAction, uniqueActionForOperation } from './iam-actions.js';
import type { DeniedRequest, FixLocation } from './types.js';
import { FIX_LOCATIONS } from './types.js';

/** The `<type>` words of the documented reason clauses, and where each fix lives. */
const POLICY_TYPE_LOCATIONS: readonly [RegExp, FixLocation][] = [
  [/^identity-based/i, FIX_LOCATIONS.identityPolicy],
  [/^resource-based/i, FIX_LOCATIONS.resourcePolicy],
  [/^permissions boundary/i, FIX_LOCATIONS.permissionsBoundary],
  [/^session/i, FIX_LOCATIONS.sessionPolicy],
  [/^service control/i, FIX_LOCATIONS.scp],
  [/^resource control/i, FIX_LOCATIONS.resourceControlPolicy],
  [/^VPC endpoint/i, FIX_LOCATIONS.vpcEndpointPolicy],
];

/**
 * API operations that SDK error wrappers name, and the IAM action each one needs, where the operation
 * and the action differ in name or the name alone does not tell the service. Other operations map to
 * the action of the same name when exactly one vetted service has it.
 */
export const OPERATION_ACTIONS: Readonly<Record<string, string>> = {
  HeadObject: 's3:GetObject',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  // ecr-public has an action of the same name; SageMaker pulls from private ECR.
  GetAuthorizationToken: 'ecr:GetAuthorizationToken',
};

/**
 * `User: P is not authorized to perform: A [on resource: R] [reason]`. The principal is optional, and
 * so are the colons and the `is`, which some services and SDKs drop (`Not authorized to perform sts:AssumeRole`).
 */
const NOT_AUTHORIZED =
  /(?:User: (\S+) )?(?:is )?[Nn]ot authorized to perform:? ([A-Za-z0-9-]+:[A-Za-z0-9*]+)(?: on resource:? ("[^"]*"|\S+))?( because no [A-Za-z -]+? (?:policy )?allows the \S+ action| with an explicit deny(?: in (?:a|an) ([A-Za-z -]+?(?:policy|boundary))(?:: (arn:\S+))?)?)?/g;

/** `An error occurred (AccessDenied) when calling the GetObject operation: ...` (botocore). */
const SDK_OPERATION_DENIED =
  /An error occurred \((AccessDenied|AccessDeniedException|403|Forbidden|UnauthorizedOperation|AuthorizationError|UnauthorizedAccess)\) when calling the (\w+) operation/g;

const ARN = /^arn:aws[a-z-]*:/;

function locationOfReason(reason: string | undefined, typeWords: string | undefined): FixLocation {
  if (!reason) {
    // Older messages have no reason clause: an implicit deny, fixed by an Allow on the principal.
    return FIX_LOCATIONS.identityPolicy;
  }
  const words = typeWords ?? /because no (.+?) (?:policy )?allows/.exec(reason)?.[1];
  if (!words) return FIX_LOCATIONS.unknown;
  return POLICY_TYPE_LOCATIONS.find(([pattern]) => pattern.test(words))?.[1] ?? FIX_LOCATIONS.unknown;
}

const trimResource = (resource: string | undefined): string | undefined => {
  const value = resource?.replace(/^"|"$/g, '').replace(/[.,;)']+$/, '');
  return value && value !== '...' ? value : undefined;
};

/** Every documented `is not authorized to perform` statement in the text. */
function notAuthorizedRequests(text: string): DeniedRequest[] {
  return [...text.matchAll(NOT_AUTHORIZED)].map((match) => {
    const [matchedText, principal, action, resource, reason, denyType, policyArn] = match;
    return {
      principalArn: principal && ARN.test(principal) ? principal : undefined,
      action,
      resource: trimResource(resource),
      fixLocation: locationOfReason(reason?.trim(), denyType),
      explicitDeny: reason?.includes('explicit deny') ?? false,
      policyArn,
      matchedText,
    };
  });
}

/** SDK-wrapped denials whose message does not name the action: the operation implies it. */
function operationRequests(text: string): DeniedRequest[] {
  return [...text.matchAll(SDK_OPERATION_DENIED)].flatMap((match) => {
    const [matchedText, , operation = ''] = match;
    const action = actionOfOperation(operation);
    return action
      ? [
          {
            principalArn: undefined,
            action,
            resource: undefined,
            fixLocation: FIX_LOCATIONS.unknown,
            explicitDeny: false,
            policyArn: undefined,
            matchedText,
          },
        ]
      : [];
  });
}

const ACTION_TOKEN = /\b([a-z0-9-]{2,30}:[A-Za-z]{3,80})\b/g;
const CALL_PHRASE = /\bcall (?:the )?([A-Z][A-Za-z]{2,80})\b/g;

/**
 * The IAM actions a message names in words: `service:Action` tokens and "call Operation" phrases,
 * each checked against the published list. Anything else is ignored.
 */
export function actionsNamedIn(text: string): string[] {
  const tokens = [...text.matchAll(ACTION_TOKEN)].map((m) => canonicalAction(m[1] ?? ''));
  const operations = [...text.matchAll(CALL_PHRASE)].map((m) => actionOfOperation(m[1] ?? ''));
  return [...new Set([...tokens, ...operations].filter((action): action is string => action !== undefined))];
}

/** The action an SDK operation name needs: the table above, else the one vetted service that has it. */
const actionOfOperation = (operation: string): string | undefined =>
  Object.hasOwn(OPERATION_ACTIONS, operation)
    ? OPERATION_ACTIONS[operation]
    : uniqueActionForOperation(operation);

/**
 * The denied requests a message states. A documented `not authorized` statement wins over the SDK
 * wrapper around it, because it names the action, resource and policy type exactly.
 */
export function parseDeniedRequests(text: string): DeniedRequest[] {
  const stated = notAuthorizedRequests(text);
  return stated.length > 0 ? stated : operationRequests(text);
}
