/**
 * From a permission {@link Diagnosis} to a {@link FixProposal}: a merged least-privilege policy for the
 * principal that needs an Allow, the command that attaches it, and advice for every block that an
 * Allow on the role cannot lift (explicit denies, SCPs, boundaries, resource and trust policies).
 */
import { createHash } from 'node:crypto';
import { isEscalation } from './actions.js';
import { certaintyOfAll } from './certainty.js';
import { assumedRoleNameOf, roleNameOf } from './job-context.js';
import type { ResourcePolicyFix } from './resource-policy.js';
import { resourcePolicyFixes } from './resource-policy.js';
import { shellQuote } from './shell.js';
import type {
  Certainty,
  Finding,
  FixLocation,
  Grant,
  Line,
  PermissionDiagnosis,
  PolicyCondition,
  Verification,
} from './types.js';
import { CHANNELS, FIX_LOCATIONS } from './types.js';

/** IAM's limit on the aggregate size of a role's inline policies, white space not counted. */
export const INLINE_POLICY_LIMIT = 10_240;
/** Every policy the service writes is named with this prefix; it never writes or deletes any other. */
export const POLICY_NAME_PREFIX = 'sagemaker-iam-remediator-';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: PolicyCondition;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** A fix to propose to a human, or for the guard to consider applying. */
export interface FixProposal {
  readonly jobName?: string;
  readonly accountId?: string;
  /** The role that needs the Allow: the message's principal's role, else the job's execution role. */
  readonly roleArn?: string;
  readonly roleName: string;
  readonly title: string;
  readonly fixLocation: FixLocation;
  /** The least sure finding's word (certainty.ts): `certain` only when the text names it all. */
  readonly certainty: Certainty;
  readonly untrustedText: boolean;
  readonly findings: readonly Finding[];
  /** Identity-policy statements for the role; absent when an Allow on the role cannot help. */
  readonly policy?: PolicyDocument;
  readonly policyName?: string;
  readonly command?: string;
  readonly withinInlinePolicyLimit: boolean;
  /** True when some resource is a `<placeholder>` the job and the message could not fill. */
  readonly hasPlaceholders: boolean;
  /** Whether the role's live policies were checked (SimulatePrincipalPolicy), and what came of it. */
  readonly verification: Verification;
  /** One line per block that an Allow on the role does not lift, saying where it lives. */
  readonly advice: readonly string[];
  /** When the statements, once written, expire (ISO); absent for no expiry (`grantTtlDays` 0). */
  readonly expiresAt?: string;
  /** The statements resources' own policies need (another account's, or the text says so), with commands. */
  readonly resourcePolicies: readonly ResourcePolicyFix[];
  /**
   * The same lines as spans: the names, actions, resources and policy ARNs in them (from the failure
   * text) are values, which a chat client shows in code spans and never links.
   */
  readonly adviceLines: readonly Line[];
  readonly explanation: string;
}

/** The statements with IAM's own expiry: `DateLessThan aws:CurrentTime`, their conditions kept. */
/** The one line every rendering says about a grant's expiry. */
export const expiryText = (expiresAt: string | undefined): string =>
  expiresAt
    ? `Expires at ${expiresAt} (IAM enforces it: DateLessThan aws:CurrentTime); a rerun of the same fix renews it.`
    : 'Does not expire (grantTtlDays=0 was chosen): the grant stays until it is revoked.';

export const expiringAt = (policy: PolicyDocument, expiresAt: string | undefined): PolicyDocument =>
  expiresAt
    ? {
        ...policy,
        Statement: policy.Statement.map((statement) => ({
          ...statement,
          Condition: { ...statement.Condition, DateLessThan: { 'aws:CurrentTime': [expiresAt] } },
        })),
      }
    : policy;

/** Findings fixed by an Allow on the principal: implicit denies in its identity policy, or unknown. */
const isIdentityFix = (finding: Finding): boolean =>
  !finding.explicitDeny &&
  finding.channel !== CHANNELS.trust &&
  (finding.fixLocation === FIX_LOCATIONS.identityPolicy || finding.fixLocation === FIX_LOCATIONS.unknown);

const pascal = (text: string): string =>
  text.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_match, _sep: string, letter: string) =>
    letter.toUpperCase(),
  );

/** Merges grants with equal resources and conditions, dedupes and sorts: the same input, the same policy. */
export function policyFromGrants(grants: readonly { channel: string; grant: Grant }[]): PolicyDocument {
  const merged = new Map<string, { channel: string; actions: Set<string>; grant: Grant }>();
  for (const { channel, grant } of grants) {
    const resources = [...new Set(grant.resources)].sort();
    const key = JSON.stringify([resources, grant.condition ?? null]);
    const entry = merged.get(key) ?? { channel, actions: new Set<string>(), grant: { ...grant, resources } };
    grant.actions.forEach((action) => entry.actions.add(action));
    merged.set(key, entry);
  }
  const sortKey = (entry: { channel: string; grant: Grant }): string =>
    `${entry.channel}\n${entry.grant.resources.join('\n')}`;
  const entries = [...merged.values()].sort((a, b) =>
    sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
  );
  const sidCounts = new Map<string, number>();
  const statements = entries.map(({ channel, actions, grant }): PolicyStatement => {
    const base = pascal(channel);
    const count = (sidCounts.get(base) ?? 0) + 1;
    sidCounts.set(base, count);
    return {
      Sid: count === 1 ? base : `${base}${count}`,
      Effect: 'Allow',
      Action: [...actions].sort(),
      Resource: grant.resources,
      ...(grant.condition ? { Condition: grant.condition } : {}),
    };
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** A name derived from the policy's content: a duplicate event yields the same name, a new fix a new one. */
export function policyNameOf(policy: PolicyDocument | string): string {
  const json = typeof policy === 'string' ? policy : JSON.stringify(policy);
  return POLICY_NAME_PREFIX + createHash('sha256').update(json).digest('hex').slice(0, 12);
}

export { shellQuote } from './shell.js';

const describeTarget = (finding: Finding): Line => {
  const grant = finding.grants[0];
  const actions = [...new Set(finding.grants.flatMap((g) => g.actions))].join(', ');
  const named: Line = actions ? [{ code: actions }] : ['the denied action'];
  return grant ? [...named, ' on ', { code: grant.resources.join(', ') }] : named;
};

/** A line as plain text, values inline. */
const textOfLine = (line: Line): string =>
  line.map((span) => (typeof span === 'string' ? span : span.code)).join('');

const LOCATION_ADVICE: Readonly<Record<Exclude<FixLocation, 'identity-policy' | 'unknown'>, string>> = {
  'resource-policy':
    'the resource policy of the target (bucket policy, KMS key policy or ECR repository policy) must allow the role; its owner changes it',
  scp: "a service control policy of the AWS Organization blocks it; the organization's administrators must exempt this role or resource",
  'resource-control-policy':
    "a resource control policy of the AWS Organization blocks it; the organization's administrators must change it",
  'permissions-boundary':
    "the role's permissions boundary blocks it; whoever owns the boundary must allow it (aws iam get-role shows Role.PermissionsBoundary)",
  'session-policy':
    'the session policy passed when the role was assumed blocks it; change the caller that assumes the role',
  'vpc-endpoint-policy':
    "the policy of the VPC endpoint the job's traffic goes through blocks it; the network owner must allow this role or resource",
  'trust-policy':
    "the role's trust policy must allow sagemaker.amazonaws.com to call sts:AssumeRole (aws iam update-assume-role-policy); check the role ARN too",
};

function adviceFor(finding: Finding): Line | undefined {
  const where: Line = finding.policyArn ? [' (', { code: finding.policyArn }, ')'] : [];
  if (finding.explicitDeny) {
    const location =
      finding.fixLocation === FIX_LOCATIONS.unknown
        ? "some policy (check SCPs, the permissions boundary, resource policies and the role's own policies)"
        : finding.fixLocation;
    return [
      'Explicit deny of ',
      ...describeTarget(finding),
      ` in ${location}`,
      ...where,
      ': adding an Allow to the role will not help; the deny must be changed by its owner.',
    ];
  }
  if (finding.fixLocation === FIX_LOCATIONS.identityPolicy || finding.fixLocation === FIX_LOCATIONS.unknown) {
    return undefined;
  }
  return [...describeTarget(finding), `: ${LOCATION_ADVICE[finding.fixLocation]}`, ...where, '.'];
}

/** The one fix location a proposal reports: an explicit or non-identity block outranks an Allow. */
function overallLocation(findings: readonly Finding[]): FixLocation {
  const blocking = findings.find(
    (f) =>
      f.explicitDeny ||
      (f.fixLocation !== FIX_LOCATIONS.identityPolicy && f.fixLocation !== FIX_LOCATIONS.unknown),
  );
  return (blocking ?? findings[0])?.fixLocation ?? FIX_LOCATIONS.unknown;
}

const NOT_VERIFIED: Verification = { status: 'not-attempted', reason: 'no live check was requested' };

/** Drops the actions a verification found allowed on every resource of the grant. */
function stillMissing(grant: Grant, verification: Verification): readonly string[] {
  if (verification.status !== 'verified') return grant.actions;
  const allowed = new Set(verification.allowed.map((pair) => `${pair.action}\n${pair.resource}`));
  return grant.actions.filter(
    (action) => !grant.resources.every((resource) => allowed.has(`${action}\n${resource}`)),
  );
}

/** What a proposal says when the role already allows everything: an Allow is not the fix. */
const ALREADY_ALLOWED =
  "The role's identity policies already allow every proposed action (SimulatePrincipalPolicy): the block is " +
  'elsewhere: the resource policy of the target (bucket, key or repository policy), an SCP, the permissions ' +
  'boundary or a VPC endpoint policy.';

/**
 * The grants of the findings that an Allow fixes, less what the verification found allowed and less
 * escalation-capable actions: what a proposed (or applied) policy is built from.
 */
export function grantsToPropose(
  findings: readonly Finding[],
  verification: Verification = NOT_VERIFIED,
): { channel: string; grant: Grant }[] {
  return findings.filter(isIdentityFix).flatMap((f) =>
    f.grants.flatMap((grant) => {
      const actions = stillMissing(grant, verification).filter((action) => !isEscalation(action));
      return actions.length > 0 ? [{ channel: f.channel, grant: { ...grant, actions } }] : [];
    }),
  );
}

/** Builds the proposal for a permission diagnosis, less what a live verification found allowed. */
export function propose(
  diagnosis: PermissionDiagnosis,
  verification: Verification = NOT_VERIFIED,
  options: { readonly expiresAt?: string } = {},
): FixProposal {
  const { findings } = diagnosis;
  const identityFindings = findings.filter(isIdentityFix);
  const proposedGrants = identityFindings.flatMap((f) => f.grants);
  const grants = grantsToPropose(identityFindings, verification);
  const withheld = [
    ...new Set(identityFindings.flatMap((f) => f.grants.flatMap((g) => g.actions)).filter(isEscalation)),
  ];
  const policy = grants.length > 0 ? policyFromGrants(grants) : undefined;
  const principalRole = identityFindings
    .map((f) => assumedRoleNameOf(f.principalArn) ?? roleNameOf(f.principalArn))
    .find(Boolean);
  const jobRoleName = roleNameOf(diagnosis.roleArn);
  const roleName = principalRole ?? jobRoleName ?? '<execution-role-name>';
  const roleArn = roleName === jobRoleName ? diagnosis.roleArn : undefined;
  const policyJson = policy ? JSON.stringify(policy) : '';
  const policyName = policy ? policyNameOf(policyJson) : undefined;
  // The command writes what the service would: the same statements, expiring.
  const commandJson = policy ? JSON.stringify(expiringAt(policy, options.expiresAt)) : '';
  const certainty = certaintyOfAll(findings);
  const fixLocation = overallLocation(findings);
  const alreadyAllowed =
    verification.status === 'verified' &&
    proposedGrants.length > 0 &&
    proposedGrants.every((g) => stillMissing(g, verification).length === 0);
  const adviceLines = [
    ...findings.map(adviceFor).filter((line): line is Line => line !== undefined),
    ...(alreadyAllowed ? [[`${ALREADY_ALLOWED} The message suggests: ${fixLocation}.`]] : []),
    ...withheld.map((action): Line => [
      { code: action },
      " can widen the role's own permissions: not proposed; a human must decide whether the job really needs it.",
    ]),
  ];
  const hasPlaceholders = findings.some((f) => f.grants.some((g) => g.resourceSource === 'placeholder'));
  const title = `${diagnosis.jobName ?? 'SageMaker job'}: ${
    policy
      ? `${roleName} needs ${[...new Set(grants.flatMap((g) => g.grant.actions))].length} permission(s)`
      : withheld.length > 0
        ? 'permission request withheld for review'
        : `blocked (${fixLocation})`
  }`;
  const proposal = {
    jobName: diagnosis.jobName,
    accountId: diagnosis.accountId,
    roleArn,
    roleName,
    title,
    fixLocation,
    certainty,
    untrustedText: diagnosis.untrustedText,
    findings,
    policy,
    policyName,
    command: policy
      ? `aws iam put-role-policy --role-name ${shellQuote(roleName)} --policy-name ${policyName} --policy-document ${shellQuote(commandJson)}`
      : undefined,
    withinInlinePolicyLimit: commandJson.length <= INLINE_POLICY_LIMIT,
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    hasPlaceholders,
    verification,
    advice: adviceLines.map(textOfLine),
    adviceLines,
    resourcePolicies: resourcePolicyFixes(diagnosis),
  } as const;
  return { ...proposal, explanation: explain(proposal) };
}

function explain(proposal: Omit<FixProposal, 'explanation'>): string {
  const lines: string[] = [];
  for (const finding of proposal.findings) {
    lines.push(`Denied (${finding.channel}, ${finding.certainty}): ${finding.matchedText.slice(0, 300)}`);
    finding.causes.forEach((cause, index) => lines.push(`  likely cause ${index + 1}: ${cause}`));
    finding.notes.forEach((note) => lines.push(`  note: ${note}`));
    const reasons = new Set(finding.grants.flatMap((grant) => (grant.reason ? [grant.reason] : [])));
    reasons.forEach((reason) => lines.push(`  note: ${reason}`));
  }
  if (proposal.policy) {
    lines.push(
      `Add to role ${proposal.roleName} (identity policy${proposal.fixLocation === FIX_LOCATIONS.unknown ? ', the most likely fix: the message does not say which policy denied' : ''}):`,
    );
    proposal.policy.Statement.forEach((s) =>
      lines.push(`  ${s.Action.join(', ')} on ${s.Resource.join(', ')}`),
    );
    lines.push(expiryText(proposal.expiresAt));
  }
  proposal.advice.forEach((line) => lines.push(line));
  for (const fix of proposal.resourcePolicies) {
    lines.push(`Merge into the ${fix.kind} of ${fix.resourceArn} (its owner runs these):`);
    fix.commands.forEach((command) => lines.push(`  ${command}`));
  }
  if (proposal.hasPlaceholders)
    lines.push('Some resources are <placeholders>: the job description did not name them; fill them in.');
  if (proposal.certainty === 'possible')
    lines.push('The message names several causes: these permissions are possible, not certain.');
  if (proposal.verification.status === 'unverified') {
    lines.push(
      `Unverified: the role's live policies could not be checked (${proposal.verification.reason}).`,
    );
  }
  if (proposal.untrustedText) {
    lines.push(
      'This text was written by the training container (AlgorithmError) and is untrusted: review before applying.',
    );
  }
  if (!proposal.withinInlinePolicyLimit)
    lines.push(
      `The policy exceeds the ${INLINE_POLICY_LIMIT}-character inline policy limit: use a managed policy.`,
    );
  return lines.join('\n');
}
