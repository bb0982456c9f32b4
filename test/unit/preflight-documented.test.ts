/**
 * AWS's documentation as the oracle of pre-flight: for a full request of each Create call, every
 * permission AWS documents for the execution role (test/fixtures/preflight/documented-permissions.json,
 * written by hand from the pages it cites) is required, and every permission required beyond them is
 * justified by a named reason of the action table, shown in its `why`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../lambdas/core/actions.js';
import type { RequiredPermission } from '../../lambdas/core/preflight.js';
import { jobToCheck, requiredPermissions } from '../../lambdas/core/preflight.js';

interface DocumentedRow {
  readonly source: string;
  readonly field: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}
interface DocumentedCall {
  readonly request: string;
  readonly roleArn?: string;
  readonly region?: string;
  readonly documented: readonly DocumentedRow[];
}

const ROOT = new URL('../../', import.meta.url);
const { calls } = JSON.parse(
  readFileSync(new URL('test/fixtures/preflight/documented-permissions.json', ROOT), 'utf8'),
) as { calls: Record<string, DocumentedCall> };

const requiredFor = (call: DocumentedCall): RequiredPermission[] =>
  requiredPermissions(
    jobToCheck(JSON.parse(readFileSync(fileURLToPath(new URL(call.request, ROOT)), 'utf8')), {
      roleArn: call.roleArn,
      region: call.region,
    }),
  );

/** Every reason the action table gives for an action, under any configuration role. */
const reasonsOf = (action: string): string[] =>
  Object.values((ACTIONS as Record<string, { reasons?: Record<string, string> }>)[action]?.reasons ?? {});

describe('pre-flight against the execution-role permissions AWS documents', () => {
  it.each(Object.entries(calls))('%s: every documented permission is required', (_call, call) => {
    // Act
    const required = requiredFor(call);
    // Assess
    const pairs = new Set(required.map((r) => `${r.action} ${r.resource}`));
    for (const row of call.documented)
      for (const action of row.actions)
        for (const resource of row.resources)
          expect(
            pairs.has(`${action} ${resource}`),
            `${action} on ${resource} (${row.field}, ${row.source})`,
          ).toBe(true);
  });

  it.each(Object.entries(calls))(
    '%s: every other permission has a named reason in its why',
    (_call, call) => {
      // Prepare
      const documented = new Set(
        call.documented.flatMap((row) => row.actions.flatMap((a) => row.resources.map((r) => `${a} ${r}`))),
      );
      // Act
      const extra = requiredFor(call).filter((r) => !documented.has(`${r.action} ${r.resource}`));
      // Assess
      for (const permission of extra) {
        const named = reasonsOf(permission.action).filter((reason) => permission.why.includes(`(${reason})`));
        expect(named, `${permission.action} on ${permission.resource}: ${permission.why}`).not.toEqual([]);
      }
    },
  );

  it('names the source of every documented row', () => {
    for (const call of Object.values(calls))
      for (const row of call.documented)
        expect(row.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/sagemaker\//);
  });
});
