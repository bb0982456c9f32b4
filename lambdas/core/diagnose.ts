/**
 * From a FailureReason (and, when known, the job's configuration) to a {@link Diagnosis}.
 *
 * 1. Normalise the text once (whitespace, quotes, ellipses, masked accounts); quote the original.
 * 2. Read every denial it states, documented or in words, with the action it names (the generic
 *    reader, access-denied.ts): a denial is a finding whether or not a rule knows its wording.
 * 3. The first catalog rule that matches adds the channel, companions, causes and certainty; when no
 *    denial names an action, a permission rule supplies them, and a non-permission rule says what
 *    else the text is.
 * 4. Scope every finding's actions to the job's own resources, else to those the message names.
 */
import { readDeniedRequests, resourceForAction, resourcesNamedIn, ROLE_ARN } from './access-denied.js';
import type { CatalogRule, PermissionRule, TextMatch } from './catalog.js';
import { CATALOG, matchIn } from './catalog.js';
import { canonicalAction } from './iam-actions.js';
import type { NormalText } from './normalise.js';
import { normalise } from './normalise.js';
import { channelCovers, channelOfAction, grantsFor, withCompanions } from './scope.js';
import type { Channel, DeniedRequest, Diagnosis, Finding, FixLocation, JobContext } from './types.js';
import { CHANNELS, FIX_LOCATIONS, NON_PERMISSION_CATEGORIES } from './types.js';

/**
 * The most failure text any reader sees: {@link diagnose} cuts the text here before it normalises it,
 * and the remediator and the approver read a failure text only through it. SageMaker caps
 * FailureReason at 1,024 characters; a CloudTrail errorMessage and a stored record have no such cap,
 * but the longest denial statement IAM writes (a principal ARN, a resource ARN and an explicit-deny
 * policy ARN of up to 2,048 characters each, and its words) fits in 8 KiB whole. Every reader is
 * linear (test/unit/linear-time.test.ts), so the cut bounds each message's reading whatever its size.
 */
export const MAX_ANALYSED_LENGTH = 8_192;

/** Fix locations where adding the companions of a missing action is the right advice. */
const COMPANION_LOCATIONS: ReadonlySet<FixLocation> = new Set([
  FIX_LOCATIONS.identityPolicy,
  FIX_LOCATIONS.unknown,
]);

/** An AlgorithmError text comes from /opt/ml/output/failure: the training container wrote it. */
const CONTAINER_WRITTEN = /^\s*AlgorithmError\b/i;

/** What one diagnosis reads: the text in normal form, the resources it names, the job. */
interface Reading {
  readonly message: NormalText;
  readonly resources: readonly string[];
  readonly job?: JobContext;
}

const matchOf = (rule: CatalogRule, text: string): TextMatch | undefined =>
  rule.patterns.map((pattern) => matchIn(pattern, text)).find((match) => match !== undefined);

/** The first rule of the catalog whose wording the text has: first match wins. */
export const firstMatchingRule = (text: string): CatalogRule | undefined =>
  CATALOG.find((rule) => matchOf(rule, text) !== undefined);

/** The rule's channel when it covers this action, else the channel the action itself points at. */
function channelFor(
  action: string,
  resource: string | undefined,
  rule: PermissionRule | undefined,
  job?: JobContext,
): Channel {
  const ruleCovers =
    rule !== undefined &&
    rule.channel !== CHANNELS.namedAction &&
    (rule.actions.includes(action) ||
      rule.companions?.includes(action) === true ||
      channelCovers(rule.channel, action));
  return ruleCovers ? rule.channel : channelOfAction(action, resource, job);
}

/** What to grant for one missing action: the rule's companions when it names them, else the channel's. */
const companionsOf = (action: string, channel: Channel, rule: PermissionRule | undefined) =>
  rule?.companions?.includes(action) ? rule.companions : withCompanions(action, channel);

/** The account field of an ARN when it is a real one (a region may still be a `<region>` placeholder). */
const accountOf = (arn: string | undefined): string | undefined =>
  /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(arn ?? '')?.[1];

/**
 * The rule's causes ranked by evidence: when the resource lives in another account than the
 * principal (or the job), the resource policy of that account is the first suspect.
 */
function rankedCauses(
  rule: PermissionRule | undefined,
  resource: string | undefined,
  principal: string | undefined,
  job?: JobContext,
): readonly string[] {
  if (!rule) return [];
  const resourceAccount = accountOf(resource);
  const ownAccount = job?.accountId ?? accountOf(principal);
  const foreign = Boolean(resourceAccount && ownAccount && resourceAccount !== ownAccount);
  const causes = rule.causes ?? [];
  if (!rule.foreignResourceCause) return causes;
  return foreign ? [rule.foreignResourceCause, ...causes] : [...causes, rule.foreignResourceCause];
}

/** The ECR repository an image of the job lives in, when the job names images. */
const jobImageRepository = (job: JobContext | undefined): string | undefined =>
  job
    ? resourcesNamedIn(job.images.join(' '), job.region).find((r) => r.includes(':repository/'))
    : undefined;

function findingFromRequest(
  request: DeniedRequest,
  rule: PermissionRule | undefined,
  reading: Reading,
): Finding {
  const { job } = reading;
  const action = request.action ? canonicalAction(request.action) : undefined;
  const fixLocation =
    request.fixLocation === FIX_LOCATIONS.unknown
      ? (rule?.fixLocation ?? FIX_LOCATIONS.unknown)
      : request.fixLocation;
  const resource = request.resource ?? (action ? resourceForAction(action, reading.resources) : undefined);
  const channel =
    fixLocation === FIX_LOCATIONS.trustPolicy
      ? CHANNELS.trust
      : action
        ? channelFor(action, resource, rule, job)
        : CHANNELS.namedAction;
  // An explicit deny names exactly what is denied: the advice concerns that action only.
  const actions = !action
    ? []
    : !request.explicitDeny && COMPANION_LOCATIONS.has(fixLocation)
      ? companionsOf(action, channel, rule)
      : [action];
  const notes =
    request.action && !action ? [`"${request.action}" is not a published IAM action: ignored`] : [];
  return {
    ruleId: rule?.id ?? 'access-denied-statement',
    channel,
    certainty: rule?.certainty ?? 'certain',
    fixLocation,
    principalArn: request.principalArn,
    explicitDeny: request.explicitDeny,
    policyArn: request.policyArn,
    fixLocationFromText: request.fixLocationStated || rule?.fixLocation !== undefined,
    grants: grantsFor(actions, {
      job,
      channel,
      messageResource: resource,
      principalArn: request.principalArn,
    }),
    causes: rankedCauses(rule, resource ?? jobImageRepository(job), request.principalArn, job),
    notes,
    matchedText: request.matchedText,
  };
}

function findingFromRule(rule: PermissionRule, reading: Reading): Finding {
  const { message, job } = reading;
  const match = matchOf(rule, message.text);
  const roleInText = ROLE_ARN.exec(message.text)?.[0];
  const resource = rule.actions[0] ? resourceForAction(rule.actions[0], reading.resources) : undefined;
  const principalArn = rule.channel === CHANNELS.trust ? undefined : roleInText;
  return {
    ruleId: rule.id,
    channel: rule.channel,
    certainty: rule.certainty,
    fixLocation: rule.fixLocation ?? FIX_LOCATIONS.unknown,
    principalArn,
    explicitDeny: false,
    policyArn: undefined,
    fixLocationFromText: rule.fixLocation !== undefined,
    servicePrincipal: rule.servicePrincipal,
    grants: grantsFor(rule.actions, { job, channel: rule.channel, messageResource: resource }),
    causes: rankedCauses(rule, resource ?? jobImageRepository(job), principalArn, job),
    notes: rule.actions.length === 0 ? ['the message names neither the action nor the resource'] : [],
    matchedText: match ? message.quote(match.index, match.index + match.text.length) : '',
  };
}

/** Read from the call or SDK operation that failed, not from a sentence about the denial itself. */
const isInferred = (request: DeniedRequest): boolean =>
  request.evidence === 'failed-call' || request.evidence === 'operation';

/**
 * A rule's wording outweighs actions only inferred from the call that failed when it says what was
 * denied instead: a look-alike rules the denial out (a bucket in another region), and a permission
 * rule names other actions (`Access denied for bucket: B, object key: K` after `Failed to invoke
 * sagemaker:CreateModelPackage`; the object's KMS key after `when calling the GetObject operation`).
 */
function ruleOutweighs(rule: CatalogRule | undefined, requests: readonly DeniedRequest[]): boolean {
  if (!rule || !requests.every(isInferred)) return false;
  if (rule.kind === 'not-permission') return rule.rulesOutDenial === true;
  const covered = [...rule.actions, ...(rule.companions ?? [])];
  return rule.actions.length > 0 && !requests.some((request) => covered.includes(request.action ?? ''));
}

/** Diagnoses one failure text. Pure: the same input always gives the same Diagnosis. */
export function diagnose(reason: string, job?: JobContext): Diagnosis {
  const truncated = reason.length > MAX_ANALYSED_LENGTH;
  const message = normalise(truncated ? reason.slice(0, MAX_ANALYSED_LENGTH) : reason);
  const base = {
    jobName: job?.jobName,
    roleArn: job?.roleArn,
    accountId: job?.accountId,
    untrustedText: CONTAINER_WRITTEN.test(message.original),
    truncated,
  };
  const reading: Reading = { message, resources: resourcesNamedIn(message.text, job?.region), job };
  const requests = readDeniedRequests(message);
  const rule = firstMatchingRule(message.text);
  const permissionRule = rule?.kind === 'permission' ? rule : undefined;
  if (requests.length > 0 && !ruleOutweighs(rule, requests)) {
    return {
      ...base,
      kind: 'permission',
      findings: requests.map((request) => findingFromRequest(request, permissionRule, reading)),
    };
  }
  if (permissionRule) {
    return { ...base, kind: 'permission', findings: [findingFromRule(permissionRule, reading)] };
  }
  const explained = rule?.kind === 'not-permission' ? rule : undefined;
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
