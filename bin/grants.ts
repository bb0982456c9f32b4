/**
 * `sagemaker-iam-remediator grants`: what the service has granted on the account's roles, read from
 * IAM (a policy edited or removed by hand shows as such), and `grants revoke` to take one back. Their
 * flags and help are their rows in bin/commands.ts. Credentials come from the standard AWS chain.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import type { RecordFacts } from '../lambdas/core/grants.js';
import { ApplyError } from '../lambdas/core/errors.js';
import { plainLine } from '../lambdas/core/neutralise.js';
import { listGrants, readGrantRecords, revokeGrant } from '../lambdas/remediator/aws/grants.js';
import type { GrantsFlags, GrantsRevokeFlags } from './command-flags.js';

export type GrantsFormat = GrantsFlags['format'];

/** Prints the service's policies: one block per policy, or `{grants:[...]}` with `--format json`. */
export async function printGrants(
  client: IAMClient,
  options: {
    readonly rolePatterns: readonly string[];
    readonly format: GrantsFormat;
    readonly write: (text: string) => void;
    readonly now?: Date;
    /** The record table's records: judge each policy against what was written. */
    readonly records?: ReadonlyMap<string, RecordFacts>;
  },
): Promise<number> {
  const grants = await listGrants(client, {
    rolePatterns: options.rolePatterns,
    now: options.now ?? new Date(),
    records: options.records,
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
  // Role and policy names, Sids and a removed record's fields come from IAM or the record table
  // (untrusted): each line is plain text, without escape sequences or line breaks of its own.
  options.write([...lines.map(plainLine), `${grants.length} policy(ies) of the service.`].join('\n') + '\n');
  return 0;
}

/** Deletes one of the service's policies; any other name is refused (exit 1) and nothing changes. */
export async function revokeOne(
  client: IAMClient,
  target: { readonly roleName: string; readonly policyName: string },
  write: { readonly out: (text: string) => void; readonly err: (text: string) => void },
): Promise<number> {
  try {
    await revokeGrant(client, target.roleName, target.policyName);
  } catch (error) {
    if (!(error instanceof ApplyError)) throw error;
    write.err(`grants: ${plainLine(error.message)}\n`);
    return 1;
  }
  write.out(`revoked ${target.policyName} on ${target.roleName}\n`);
  return 0;
}

const iamClientOf = (region: string | undefined): IAMClient => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new IAMClient({ region, maxAttempts: 6 });
};

/** `grants`, given its flags (parsed and checked by bin/flags.ts). */
export async function run(values: GrantsFlags): Promise<number> {
  const iam = iamClientOf(values.region);
  const table = values['records-table'];
  const records = table
    ? await readGrantRecords(new DynamoDBClient({ region: values.region, maxAttempts: 6 }), table)
    : undefined;
  return printGrants(iam, {
    rolePatterns: values['role-name-patterns']
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    format: values.format,
    write: (text) => process.stdout.write(text),
    records,
  });
}

/** `grants revoke`, given its flags: exit 1 when refused. */
export const revoke = (values: GrantsRevokeFlags): Promise<number> =>
  revokeOne(
    iamClientOf(values.region),
    { roleName: values['role-name'], policyName: values['policy-name'] },
    { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
  );
