/**
 * `sagemaker-iam-remediator grants`: what the service has granted on the account's roles, read from
 * IAM (a policy edited or removed by hand shows as such), and `grants revoke` to take one back.
 * Credentials and region come from the standard AWS chain.
 *
 *   grants [--role-patterns GLOB[,GLOB]] [--format text|json]
 *   grants revoke --role-name R --policy-name P    (only sagemaker-iam-remediator-* policies)
 *
 * Exit codes: 0 done; 1 a revoke was refused (nothing changed); 2 usage.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { IAMClient } from '@aws-sdk/client-iam';
import { ApplyError, UsageError } from '../lambdas/core/errors.js';
import { listGrants, revokeGrant } from '../lambdas/remediator/aws/grants.js';
import { exitCodeOf } from './cli.js';

export const GRANTS_FORMATS = ['text', 'json'] as const;
export type GrantsFormat = (typeof GRANTS_FORMATS)[number];

const USAGE =
  'usage: grants [--role-patterns GLOB[,GLOB]] [--format text|json]\n' +
  '       grants revoke --role-name ROLE --policy-name sagemaker-iam-remediator-...';

/** Prints the service's policies: one block per policy, or `{grants:[...]}` with `--format json`. */
export async function printGrants(
  client: IAMClient,
  options: {
    readonly rolePatterns: readonly string[];
    readonly format: GrantsFormat;
    readonly write: (text: string) => void;
    readonly now?: Date;
  },
): Promise<number> {
  const grants = await listGrants(client, {
    rolePatterns: options.rolePatterns,
    now: options.now ?? new Date(),
  });
  if (options.format === 'json') {
    const rows = grants.map(({ roleName, policyName, statements, expiresAt, state, recordId }) => ({
      roleName,
      policyName,
      statements,
      expiresAt,
      state,
      recordId,
    }));
    options.write(`${JSON.stringify({ grants: rows }, null, 2)}\n`);
    return 0;
  }
  const lines = grants.flatMap((g) => [
    `${g.roleName}  ${g.policyName}  ${g.state}  expires ${g.expiresAt ?? 'never'}  record ${g.recordId ?? 'none'}`,
    ...g.statements.map((s) => `  ${JSON.stringify(s)}`),
  ]);
  options.write([...lines, `${grants.length} policy(ies) of the service.`].join('\n') + '\n');
  return 0;
}

/** Deletes one of the service's policies; any other name is refused (exit 1) and nothing changes. */
export async function revoke(
  client: IAMClient,
  target: { readonly roleName: string; readonly policyName: string },
  write: { readonly out: (text: string) => void; readonly err: (text: string) => void },
): Promise<number> {
  try {
    await revokeGrant(client, target.roleName, target.policyName);
  } catch (error) {
    if (!(error instanceof ApplyError)) throw error;
    write.err(`grants: ${error.message}\n`);
    return 1;
  }
  write.out(`revoked ${target.policyName} on ${target.roleName}\n`);
  return 0;
}

const OPTIONS = {
  'role-patterns': { type: 'string', default: '' },
  'role-name': { type: 'string' },
  'policy-name': { type: 'string' },
  format: { type: 'string', default: 'text' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new IAMClient({ region: values.region, maxAttempts: 6 });
  const [action, ...extra] = positionals;
  if (extra.length > 0 || (action !== undefined && action !== 'revoke')) throw new UsageError(USAGE);
  if (action === 'revoke') {
    if (!values['role-name'] || !values['policy-name'])
      throw new UsageError('grants revoke needs --role-name and --policy-name');
    return revoke(
      client,
      { roleName: values['role-name'], policyName: values['policy-name'] },
      { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
    );
  }
  const format = values.format as GrantsFormat;
  if (!GRANTS_FORMATS.includes(format))
    throw new UsageError(`unknown --format ${values.format}; use ${GRANTS_FORMATS.join('|')}`);
  return printGrants(client, {
    rolePatterns: values['role-patterns']
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    format,
    write: (text) => process.stdout.write(text),
  });
}

/** Runs `grants` and returns its exit code; errors become one line on stderr. */
export const run = (argv: readonly string[]): Promise<number> => exitCodeOf('grants', () => main(argv));
