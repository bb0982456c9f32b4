/**
 * The generic reader: every denial a message states, whatever rule (if any) knows its wording.
 *
 * The IAM User Guide (troubleshoot_access-denied) documents
 * `User: P is not authorized to perform: A on resource: R because no <type> policy allows the A action`,
 * `... with an explicit deny in a <type> policy[: <policy ARN>]`, and older messages with no reason
 * clause or a bare `with an explicit deny`. Services also say it in words (`does not have
 * BatchGetImage permission`, `Please check if you have ec2:CreateNetworkInterface permission`,
 * `has permission for 'sagemaker:CreateApp'`), and SDKs wrap a bare `Access Denied` in the operation
 * they called. Any action named is checked against the published IAM action list; anything else is
 * not an action. The reader works on the normal form of the text (see normalise.ts).
 */
import { actionForOperation, canonicalAction } from './iam-actions.js';
import type { NormalText } from './normalise.js';
import { normalise } from './normalise.js';
import type { DenialEvidence, DeniedRequest, FixLocation } from './types.js';
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
 * Assuming a role, in any of its calls, is decided by the role's trust policy: when the message does
 * not say which policy denied, that is where the fix lives (session tags and source identity too).
 */
const TRUST_ACTIONS: ReadonlySet<string> = new Set([
  'sts:AssumeRole',
  'sts:AssumeRoleWithWebIdentity',
  'sts:AssumeRoleWithSAML',
  'sts:TagSession',
  'sts:SetSourceIdentity',
]);

/**
 * `User: P is not authorized to perform: A [on resource: R] [reason]`. The principal is optional, and
 * so are the colons and the `is` (`Not authorized to perform sts:AssumeRole`); services also write
 * `is not permitted to`, `is not allowed to` and `is unable to perform`.
 */
export const NOT_AUTHORIZED =
  /(?:User:? ['"]?([^\s'"]+)['"]? )?(?:is )?(?:not authorized|not permitted|not allowed|unable) to perform:? ['"]?([a-z0-9-]+:[a-z0-9*]+)['"]?(?: on resource:? ("[^"]*"|\S+))?( because no [a-z -]+? (?:policy )?allows the \S+ action| with an explicit deny(?: in (?:a|an) ([a-z -]+?(?:policy|boundary))(?:: (arn:\S+))?)?)?/gi;

/** `An error occurred (AccessDenied) when calling the GetObject operation: ...` (botocore). */
export const SDK_OPERATION_DENIED =
  /An error occurred \((?:AccessDenied|AccessDeniedException|403|Forbidden|UnauthorizedOperation|AuthorizationError|UnauthorizedAccess)\) when calling the (\w+) operation/gi;

/**
 * A sentence that says a principal lacks a permission, or tells the reader to check one: the cue that
 * makes an action named in it evidence.
 */
export const LACKS_PERMISSION =
  /\b(?:not authorized|not permitted|not allowed|unable to|(?:does|do|did) ?n[o']t have|lacks?|missing|insufficient|(?:could not|couldn't|failed to) validate|(?:check|verify|ensure|make sure)(?: if| that| whether)?\b)/i;

/** An AWS error code or message of denial anywhere in the text: an action named near it is evidence too. */
export const DENIAL_CODE = /\bAccess ?Denied|\bnot authorized\b|\bUnauthorizedOperation\b/i;

/**
 * An action name: `service:Action`, or an operation name (two or more capitalised words). Each is
 * read in one pass from where its run starts, so a reading costs the length of the run: the
 * operation is one flat run (a capitalised word, then a capital and any letters), where a repeated
 * group of words tried every split of a run of capitals, doubling the time with each one; and a
 * service starts only where a run of service characters does, not at each `-` inside one.
 */
const NAME = String.raw`(?:(?<![a-z0-9-])[a-z0-9-]{2,}:[A-Za-z0-9]{3,}|[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*)`;

/** A word in lower case, capitalised or in capitals: the rest of the pattern is case-sensitive. */
const anyCase = (words: string): string =>
  `(?:${words}|${words.charAt(0).toUpperCase()}${words.slice(1)}|${words.toUpperCase()})`;

/**
 * Where a name sits next to a permission word: `X permission(s)`, `X action`, `permission(s) for X`,
 * `permission(s) to perform X`, `call X`, `perform X`. Quotes around X are optional. Case-sensitive,
 * so that an operation name is told from an ordinary capitalised word.
 */
export const NAMED_PERMISSION = new RegExp(
  [
    String.raw`\b(${NAME})['"]? (?:${anyCase('permissions?')}|${anyCase('action')}|API)\b`,
    String.raw`\b${anyCase('permissions?')} (?:for|to (?:perform|call|use|invoke)) (?:the )?['"]?(${NAME})\b`,
    String.raw`\b(?:${anyCase('call')}|${anyCase('perform')}|${anyCase('invoke')}|the action) (?:the )?['"]?(${NAME})\b`,
  ].join('|'),
  'g',
);

/** Sentences end at `. `, `! `, `? ` or `; `: ARNs and URLs have no space after their dots. */
export const SENTENCE_END = /[.!?;] /g;

/** The sentence around a position: from the end of the previous one to the end of its own. */
function sentenceAround(text: string, at: number): { start: number; end: number } {
  let start = 0;
  let end = text.length;
  for (const boundary of text.matchAll(SENTENCE_END)) {
    if (boundary.index < at) start = boundary.index + 2;
    else {
      end = boundary.index + 1;
      break;
    }
  }
  return { start, end };
}

const ARN = /^arn:aws[a-z-]*:/;
/** A role ARN, its account possibly masked (the normal form empties a masked account). */
export const ROLE_ARN = /arn:aws[a-z-]*:iam::\d{0,12}:role\/[\w+=,.@/-]*[\w+=@/-]/;

function locationOfReason(reason: string, typeWords: string | undefined): FixLocation {
  const words = typeWords ?? /because no (.+?) (?:policy )?allows/i.exec(reason)?.[1];
  if (!words) return FIX_LOCATIONS.unknown;
  return POLICY_TYPE_LOCATIONS.find(([pattern]) => pattern.test(words))?.[1] ?? FIX_LOCATIONS.unknown;
}

/**
 * Without a reason clause the deny is implicit: an Allow fixes it, on the principal, or in the trust
 * policy of the role when the action assumes one.
 */
const implicitDenyLocation = (action: string | undefined): FixLocation =>
  action && TRUST_ACTIONS.has(action) ? FIX_LOCATIONS.trustPolicy : FIX_LOCATIONS.identityPolicy;

/**
 * The resource of a statement when it is one a policy can name: an ARN or `*`. Some services write a
 * kind and a name instead (`on resource: role basic-role`): that is no resource to scope a grant to.
 */
const trimResource = (resource: string | undefined): string | undefined => {
  const value = resource?.replace(/^"|"$/g, '').replace(/(?<![.,;)'])[.,;)']+$/, '');
  return value && (ARN.test(value) || value === '*') ? value : undefined;
};

/** Every documented `is not authorized to perform` statement in the text. */
function notAuthorizedRequests(message: NormalText): DeniedRequest[] {
  return [...message.text.matchAll(NOT_AUTHORIZED)].map((match) => {
    const [matched, principal, named = '', resource, reason, denyType, policyArn] = match;
    const action = canonicalAction(named) ?? named;
    const statedLocation = reason ? locationOfReason(reason.trim(), denyType) : undefined;
    return {
      evidence: 'statement',
      principalArn: principal && ARN.test(principal) ? principal : undefined,
      action,
      resource: trimResource(resource),
      fixLocation: statedLocation ?? implicitDenyLocation(action),
      fixLocationStated: statedLocation !== undefined && statedLocation !== FIX_LOCATIONS.unknown,
      explicitDeny: /explicit deny/i.test(reason ?? ''),
      policyArn,
      matchedText: message.quote(match.index, match.index + matched.length),
    };
  });
}

/** A `service:Action` or an operation name, as the published action it is; else undefined. */
const actionOfName = (name: string): string | undefined =>
  name.includes(':') ? canonicalAction(name) : actionForOperation(name);

const implicitRequest = (
  evidence: DenialEvidence,
  action: string,
  fixLocation: FixLocation,
  matchedText: string,
  principalArn?: string,
): DeniedRequest => ({
  evidence,
  fixLocationStated: false,
  principalArn,
  action,
  resource: undefined,
  fixLocation,
  explicitDeny: false,
  policyArn: undefined,
  matchedText,
});

/**
 * Actions named in words in a sentence that says a permission is missing, or in a text that carries
 * a denial code elsewhere: then the action is the call that failed (`Failed to invoke
 * sagemaker:CreateModel. Error Details: Access denied.`), which the denial may or may not concern. A
 * role ARN in the sentence is the principal; the fix is an Allow on it, as for a documented statement
 * without a reason clause.
 */
function wordedRequests(message: NormalText): DeniedRequest[] {
  const denied = DENIAL_CODE.test(message.text);
  return [...message.text.matchAll(NAMED_PERMISSION)].flatMap((match) => {
    const action = actionOfName(match[1] ?? match[2] ?? match[3] ?? '');
    const { start, end } = sentenceAround(message.text, match.index);
    const sentence = message.text.slice(start, end);
    const lacks = LACKS_PERMISSION.test(sentence) || DENIAL_CODE.test(sentence);
    if (!action || !(denied || lacks)) return [];
    const principal = ROLE_ARN.exec(sentence)?.[0];
    const evidence = lacks ? 'words' : 'failed-call';
    return [
      implicitRequest(evidence, action, implicitDenyLocation(action), message.quote(start, end), principal),
    ];
  });
}

/** SDK-wrapped denials whose message does not name the action: the operation implies it. */
function operationRequests(message: NormalText): DeniedRequest[] {
  return [...message.text.matchAll(SDK_OPERATION_DENIED)].flatMap((match) => {
    const action = actionForOperation(match[1] ?? '');
    const matchedText = message.quote(match.index, match.index + match[0].length);
    // A refused assume call is the trust policy, whatever else the wrapper leaves unsaid.
    const fixLocation =
      action && TRUST_ACTIONS.has(action) ? FIX_LOCATIONS.trustPolicy : FIX_LOCATIONS.unknown;
    return action ? [implicitRequest('operation', action, fixLocation, matchedText)] : [];
  });
}

/** One request per action: the documented statement, which says most, over a worded one. */
function distinctByAction(requests: readonly DeniedRequest[]): DeniedRequest[] {
  const seen = new Set<string | undefined>();
  return requests.filter((request) => !seen.has(request.action) && seen.add(request.action));
}

/**
 * The denied requests a message states. Statements (documented or in words) win over the call that
 * failed and over the SDK wrapper around them, because they name the action, and often the resource
 * and the policy type, exactly: `Failed to invoke sagemaker:CreateProcessingJob` before `is not
 * authorized to perform: sagemaker:AddTags` is no denial of its own.
 */
export function readDeniedRequests(message: NormalText): DeniedRequest[] {
  const worded = wordedRequests(message);
  const stated = distinctByAction([
    ...notAuthorizedRequests(message),
    ...worded.filter((request) => request.evidence === 'words'),
  ]);
  if (stated.length > 0) return stated;
  const failedCalls = distinctByAction(worded);
  return failedCalls.length > 0 ? failedCalls : operationRequests(message);
}

export const NAMED_RESOURCES = new RegExp(
  [
    String.raw`(?<arn>\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:[^\s"'\`,;()<>[\]]+)`,
    String.raw`(?<s3>\bs3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/[^\s"'()<>]*)?)`,
    String.raw`\b(?<imageAccount>\d{12})\.dkr\.ecr(?:-fips)?\.(?<imageRegion>[a-z0-9-]+)\.amazonaws\.com(?<china>\.cn)?\/(?<imageRepository>[a-z0-9][a-z0-9._/-]*)`,
    String.raw`\b[Rr]epository:? ['"]?(?<repository>[a-z0-9][a-z0-9._/-]*)['"]? in registry(?: ID)?:? ['"]?(?<registry>\d{12})\b`,
    String.raw`\b[Bb]ucket:? ['"]?(?<bucket>[a-z0-9][^\s,'"]{1,62}?)['"]?(?:,? object key:?|,? key:?| at key) ['"]?(?<objectKey>[^\s'"]+)`,
  ].join('|'),
  'g',
);

/**
 * The resources a message names, as ARNs (S3 URIs stay URIs): ARNs as written, the repository of an
 * ECR image URI, `repository: R in registry ID: A`, whose region is the job's when known, and an
 * object named as `bucket: B, object key: K` or `bucket: B at key K`.
 */
export function resourcesNamedIn(text: string, region = '<region>'): string[] {
  const resources = [...text.matchAll(NAMED_RESOURCES)].map(({ groups = {} }) => {
    if (groups.arn) return groups.arn.replace(/(?<![.:])[.:]+$/, '');
    // Punctuation after a URI ends the sentence (`... to s3://b/k: An error occurred`), not the key.
    if (groups.s3) return groups.s3.replace(/(?<![.,:;])[.,:;]+$/, '');
    if (groups.objectKey) return `s3://${groups.bucket}/${groups.objectKey.replace(/(?<![.,])[.,]+$/, '')}`;
    if (groups.imageRepository) {
      const partition = groups.china ? 'aws-cn' : 'aws';
      return `arn:${partition}:ecr:${groups.imageRegion}:${groups.imageAccount}:repository/${groups.imageRepository}`;
    }
    return `arn:aws:ecr:${region}:${groups.registry}:repository/${groups.repository?.replace(/\.$/, '')}`;
  });
  return [...new Set(resources)];
}

/**
 * The named resource an action concerns, by its service: a bucket or object for S3, a role for IAM
 * and STS, an ARN of the action's service otherwise. Principals (`assumed-role`) are not resources.
 */
export function resourceForAction(action: string, resources: readonly string[]): string | undefined {
  const service = action.slice(0, action.indexOf(':'));
  return resources.find((resource) => {
    if (service === 's3') return resource.startsWith('s3://') || /^arn:[a-z-]+:s3:/.test(resource);
    if (service === 'iam' || service === 'sts') return /^arn:[a-z-]+:iam::\d{0,12}:role\//.test(resource);
    return resource.startsWith('arn:') && resource.split(':')[2] === service;
  });
}

/** {@link readDeniedRequests} on a raw text. */
export const parseDeniedRequests = (text: string): DeniedRequest[] => readDeniedRequests(normalise(text));
