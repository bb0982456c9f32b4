/**
 * The one meaning of the word a message puts beside a finding:
 * - `certain`: the message names the action, the principal (a role or a service principal) and
 *   where the denial lives (a policy type);
 * - `likely`: one cause, but the message leaves the action, the principal or the denying policy to
 *   inference ("Access Denied" on a download; an AccessDenied statement without its reason clause);
 * - `possible`: the message itself names several causes.
 */
import type { Certainty, Finding } from './types.js';
import { FIX_LOCATIONS } from './types.js';

const RANK: Readonly<Record<Certainty, number>> = { possible: 0, likely: 1, certain: 2 };

export function certaintyOf(finding: Finding): Certainty {
  if (finding.certainty === 'possible') return 'possible';
  const namesAction = finding.grants.some((grant) => grant.actions.length > 0);
  const namesPrincipal = finding.principalArn !== undefined || finding.servicePrincipal !== undefined;
  const namesPolicyType =
    finding.fixLocationFromText === true && finding.fixLocation !== FIX_LOCATIONS.unknown;
  return namesAction && namesPrincipal && namesPolicyType ? 'certain' : 'likely';
}

/** A message is as sure as its least sure finding. */
export const certaintyOfAll = (findings: readonly Finding[]): Certainty =>
  findings
    .map(certaintyOf)
    .reduce<Certainty>((least, next) => (RANK[next] < RANK[least] ? next : least), 'certain');
