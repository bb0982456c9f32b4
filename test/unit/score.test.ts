import { describe, expect, it } from 'vitest';
import type { BatchResult, CorpusItem } from '../../bin/score.js';
import { readCorpus, scoreOf } from '../../bin/score.js';

const item = (fields: Partial<CorpusItem> & Pick<CorpusItem, 'id' | 'isPermission'>): CorpusItem => ({
  failureReason: 'text',
  ...fields,
});

describe('score', () => {
  it('scores classification, actions and fix locations from the labels', () => {
    // Prepare: one exact hit, one missed action with an extra one, one false proposal, one ambiguous.
    const items = [
      item({
        id: 'exact',
        isPermission: true,
        expectedActions: ['s3:GetObject'],
        fixLocation: 'identity-policy',
      }),
      item({ id: 'partial', isPermission: true, expectedActions: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
      item({ id: 'oom', isPermission: false }),
      item({ id: 'pull', isPermission: null, ambiguous: true, acceptableActions: ['ecr:BatchGetImage'] }),
    ];
    const results: Record<string, BatchResult> = {
      exact: { isPermission: true, actions: ['S3:GetObject'], fixLocation: 'identity-policy' },
      partial: { isPermission: true, actions: ['kms:Decrypt', 's3:PutObject'], fixLocation: 'unknown' },
      oom: { isPermission: true, actions: ['s3:ListBucket'], fixLocation: 'unknown' },
      pull: { isPermission: true, actions: ['ecr:BatchGetImage'], fixLocation: 'unknown' },
    };
    // Act
    const score = scoreOf(items, (corpusItem) => results[corpusItem.id] as BatchResult);
    // Assess
    expect(score).toEqual({
      items: 4,
      ambiguousItems: 1,
      classificationAccuracy: 66.7,
      permissionRecall: 100,
      nonPermissionSpecificity: 0,
      actionRecall: 66.7,
      actionPrecision: 75,
      exactActionSets: 50,
      fixLocationAccuracy: 100,
      falseProposals: 1,
      misses: [
        { id: 'partial', why: 'missing [kms:generatedatakey] extra [s3:putobject]' },
        { id: 'oom', why: 'proposed s3:listbucket for a non-permission failure' },
        { id: 'oom', why: 'isPermission true, expected false' },
      ],
    });
  });

  it.each([
    ['{not json', /line 1 is not valid JSON/],
    ['{"id": "a"}', /line 1 needs id and failureReason/],
    ['\n{"id": "a", "failureReason": "x"}', /line 2 needs isPermission, or ambiguous: true/],
  ])('refuses a corpus line %j', (text, message) => {
    expect(() => readCorpus(text)).toThrow(message);
  });
});
