import { describe, expect, it } from 'vitest';
import { outcomeOf, table, TABLE_WIDTH, truncate } from '../../bin/recent.js';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const outcomeOfEvent = (file: string) => {
  const job = failedJobFromInput(readEvent(file));
  return outcomeOf(analyse(job.failureReason ?? '', job));
};

describe('recent: what became of each failure', () => {
  it.each([
    ['training-kms-output-denied.json', 'permission (certain)'],
    ['training-scp-explicit-deny.json', 'BLOCKED by scp'],
    ['training-untrusted-failure-file.json', 'WITHHELD for review, untrusted text'],
    ['training-not-permission-oom.json', 'out-of-memory'],
  ])('%s reads as %s', (file, expected) => {
    expect(outcomeOfEvent(file)).toBe(expected);
  });
});

describe('recent: a table that fits the terminal', () => {
  it('cuts the widest shrinkable cells with an ellipsis so that every line fits 100 columns', () => {
    // Prepare: a 63-character job name (the longest SageMaker allows) and many actions.
    const job = `${'j'.repeat(62)}x`;
    const actions = Array.from({ length: 9 }, (_, i) => `ec2:CreateNetworkInterface${i}`).join(' ');
    // Act
    const lines = table(
      ['JOB', 'FAILED AT', 'OUTCOME', 'ACTIONS'],
      [[job, '2026-11-20 09:02', 'permission (certain)', actions]],
      [0, 2, 3],
    ).split('\n');
    // Assess
    expect(lines.every((line) => line.length <= TABLE_WIDTH)).toBe(true);
    expect(lines[1]).toContain('2026-11-20 09:02');
    expect(lines[1]).toMatch(/^j+…\s/);
    expect(lines[1]).toMatch(/ {2}ec2:CreateNetworkInterface0 \S*…$/);
  });

  it('leaves a table that fits as it is', () => {
    expect(table(['A', 'B'], [['x', 'yy']])).toBe('A  B\nx  yy');
  });

  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['eleven chars', 10, 'eleven ch…'],
  ])('truncate(%s, %d) is %s', (text, width, expected) => {
    expect(truncate(text, width)).toBe(expected);
  });
});
