/**
 * From a FailureReason (and, when known, the job's configuration) to a {@link Diagnosis}.
 *
 * 1. Read the documented AccessDenied statements (they name action, resource and policy type).
 * 2. Find the first permission rule of the catalog whose wording matches (it names the channel).
 * 3. Neither: the text is not a permission problem; a non-permission rule says what it is.
 * 4. Scope every finding's actions to the job's own resources.
 */
import { actionsNamedIn, parseDeniedRequests } from './access-denied.js';
import type { PermissionRule } from './catalog.js';
import { NON_PERMISSION_RULES, PERMISSION_RULES } from './catalog.js';
import { canonicalAction } from './iam-actions.js';
import { channelCovers, channelOfAction, grantsFor, withCompanions } from './scope.js';
import type { Channel, DeniedRequest, Diagnosis, Finding, FixLocation, JobContext } from './types.js';
import { CHANNELS, FIX_LOCATIONS, NON_PERMISSION_CATEGORIES } from './types.js';

/**
 * The most text the core reads. SageMaker caps FailureReason at 1,024 characters; the margin covers
 * CloudTrail error messages, and the cap keeps every pattern's cost bounded on hostile input.
 */
export const MAX_ANALYSED_LENGTH = 8_192;

/** Fix locations where adding the companions of a missing action is the right advice. */
const COMPANION_LOCATIONS: ReadonlySet<FixLocation> = new Set([
  FIX_LOCATIONS.identityPolicy,
  FIX_LOCATIONS.unknown,
]);

/** An AlgorithmError text comes from /opt/ml/output/failure: the training container wrote it. */
const CONTAINER_WRITTEN = /^\s*AlgorithmError\b/;
const S3_URI = /s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/[^\s"'()<>]*)?/;
const ROLE_ARN = /arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+/;

const matches = (rule: { readonly patterns: readonly RegExp[] }, text: string): boolean =>
  rule.patterns.some((pattern) => pattern.test(text));

/** The rule's channel when it covers this action, else the channel the action itself points at. */
function channelFor(
  action: string,
  request: DeniedRequest,
  rule: PermissionRule | undefined,
  job?: JobContext,
): Channel {
  const ruleCovers =
    rule !== undefined &&
    rule.channel !== CHANNELS.namedAction &&
    (rule.actions.includes(action) || channelCovers(rule.channel, action));
  return ruleCovers ? rule.channel : channelOfAction(action, request.resource, job);
}

function findingFromRequest(
  request: DeniedRequest,
  rule: PermissionRule | undefined,
  text: string,
  job?: JobContext,
): Finding {
  const action = request.action ? canonicalAction(request.action) : undefined;
  const fixLocation =
    request.fixLocation === FIX_LOCATIONS.unknown
      ? (rule?.fixLocation ?? FIX_LOCATIONS.unknown)
      : request.fixLocation;
  const channel = action ? channelFor(action, request, rule, job) : CHANNELS.namedAction;
  // An explicit deny names exactly what is denied: the advice concerns that action only.
  const actions = !action
    ? []
    : !request.explicitDeny && COMPANION_LOCATIONS.has(fixLocation)
      ? withCompanions(action, channel)
      : [action];
  const notes =
    request.action && !action
      ? [`"${request.action}" is not a published IAM action of a vetted service: ignored`]
      : [];
  return {
    ruleId: rule?.id ?? 'access-denied-statement',
    channel,
    certainty: rule?.certainty ?? 'certain',
    fixLocation,
    principalArn: request.principalArn,
    explicitDeny: request.explicitDeny,
    policyArn: request.policyArn,
    grants: grantsFor(actions, {
      job,
      channel,
      messageResource: request.resource ?? S3_URI.exec(text)?.[0],
      principalArn: request.principalArn,
    }),
    causes: rule?.causes ?? [],
    notes,
    matchedText: request.matchedText,
  };
}

function findingFromRule(rule: PermissionRule, text: string, job?: JobContext): Finding {
  const matchedText = rule.patterns.map((pattern) => pattern.exec(text)?.[0]).find(Boolean) ?? '';
  const roleInText = ROLE_ARN.exec(text)?.[0];
  const messageResource = rule.channel === CHANNELS.trust ? roleInText : S3_URI.exec(text)?.[0];
  // Actions named in words join their channel's companions, as a denied statement's action does.
  const named = rule.actionsFromText ? actionsNamedIn(text) : [];
  const channel = named[0] ? channelOfAction(named[0], messageResource, job) : rule.channel;
  const actions = [
    ...new Set([...rule.actions, ...named.flatMap((action) => withCompanions(action, channel))]),
  ];
  return {
    ruleId: rule.id,
    channel,
    certainty: rule.certainty,
    fixLocation: rule.fixLocation ?? FIX_LOCATIONS.unknown,
    principalArn: rule.channel === CHANNELS.trust ? undefined : roleInText,
    explicitDeny: false,
    policyArn: undefined,
    grants: grantsFor(actions, { job, channel, messageResource }),
    causes: rule.causes ?? [],
    notes: actions.length === 0 ? ['the message names neither the action nor the resource'] : [],
    matchedText,
  };
}

/** Diagnoses one failure text. Pure: the same input always gives the same Diagnosis. */
export function diagnose(reason: string, job?: JobContext): Diagnosis {
  const truncated = reason.length > MAX_ANALYSED_LENGTH;
  const text = truncated ? reason.slice(0, MAX_ANALYSED_LENGTH) : reason;
  const base = {
    jobName: job?.jobName,
    roleArn: job?.roleArn,
    accountId: job?.accountId,
    untrustedText: CONTAINER_WRITTEN.test(text),
    truncated,
  };
  const requests = parseDeniedRequests(text);
  const rule = PERMISSION_RULES.find((candidate) => matches(candidate, text));
  if (requests.length > 0) {
    return {
      ...base,
      kind: 'permission',
      findings: requests.map((r) => findingFromRequest(r, rule, text, job)),
    };
  }
  if (rule) return { ...base, kind: 'permission', findings: [findingFromRule(rule, text, job)] };
  const explained = NON_PERMISSION_RULES.find((candidate) => matches(candidate, text));
  return {
    ...base,
    kind: 'not-permission',
    category: explained?.category ?? NON_PERMISSION_CATEGORIES.unrecognised,
    ruleId: explained?.id,
    summary: explained?.summary ?? 'no AccessDenied statement or permission wording in the text',
  };
}

/** The union of a diagnosis's actions, sorted: what the batch output and the score compare. */
export function actionsOf(diagnosis: Diagnosis): string[] {
  if (diagnosis.kind !== 'permission') return [];
  const actions = diagnosis.findings.flatMap((f) => f.grants.flatMap((g) => g.actions));
  return [...new Set(actions)].sort();
}

/** The fix location of a diagnosis: the first finding's, since findings of one text agree in practice. */
export function fixLocationOf(diagnosis: Diagnosis): FixLocation | undefined {
  return diagnosis.kind === 'permission' ? diagnosis.findings[0]?.fixLocation : undefined;
}
