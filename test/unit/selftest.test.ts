import { describe, expect, it } from 'vitest';
import { checksOf, cleanupChecksOf } from '../../bin/selftest.js';
import { notificationOf } from '../../lambdas/core/notification.js';
import { analyse, failedJobFromInput } from '../../lambdas/core/index.js';
import {
  isSelftestEvent,
  markedAsTest,
  SELFTEST_PREFIX,
  selftestEventOf,
} from '../../lambdas/core/selftest.js';
import { readEvent } from '../helpers/fixtures.js';

const WHERE = { partition: 'aws', account: '111122223333', region: 'eu-west-1' };

describe('the self-test message', () => {
  it('is marked as a test in every rendering, and its subject stays within SNS limits', () => {
    // Prepare
    const job = failedJobFromInput(readEvent('training-kms-output-denied.json'));
    const notification = notificationOf(analyse(job.failureReason ?? '', job));
    // Act
    const marked = markedAsTest(notification);
    // Assess
    const renderings = JSON.parse(marked.message) as Record<string, string>;
    expect(marked.subject.startsWith(`${SELFTEST_PREFIX} `)).toBe(true);
    expect(marked.subject.length).toBeLessThanOrEqual(100);
    expect(renderings.default?.startsWith(SELFTEST_PREFIX)).toBe(true);
    expect(renderings.email?.startsWith(SELFTEST_PREFIX)).toBe(true);
    expect(JSON.parse(renderings.https ?? '{}')).toMatchObject({
      content: { title: expect.stringMatching(/^\[self-test\] /) },
    });
    expect(JSON.parse(renderings.sqs ?? '{}')).toMatchObject({ selftest: true });
    expect(marked.attributes).toEqual(notification.attributes);
  });

  it('is asked for only by its own key', () => {
    // Assess
    expect(isSelftestEvent(selftestEventOf({}))).toBe(true);
    expect(isSelftestEvent(readEvent('training-kms-output-denied.json'))).toBe(false);
    expect(isSelftestEvent({ sagemakerIamRemediatorSelftest: null })).toBe(false);
  });
});

describe('the checks selftest makes', () => {
  const base = { TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:proposals' };

  it('checks writes to a pattern-matched role at the top level and under service-role/', () => {
    // Act
    const checks = checksOf(
      { ...base, AUTO_REMEDIATE: 'true', ROLE_NAME_PATTERNS: 'AmazonSageMaker-*' },
      WHERE,
    );
    // Assess
    const puts = checks.filter((c) => c.action === 'iam:PutRolePolicy').map((c) => c.resource);
    expect(puts).toEqual([
      'arn:aws:iam::111122223333:role/AmazonSageMaker-selftest',
      'arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-selftest',
    ]);
  });

  it('checks tag-mode writes with the opt-in tag in the request context, and reading the tag', () => {
    // Act
    const checks = checksOf({ ...base, AUTO_REMEDIATE: 'true' }, WHERE);
    // Assess
    expect(checks.find((c) => c.action === 'iam:GetRole')).toBeDefined();
    expect(checks.find((c) => c.action === 'iam:PutRolePolicy')?.context).toEqual([
      {
        ContextKeyName: 'iam:ResourceTag/sagemaker-iam-remediator:auto',
        ContextKeyType: 'string',
        ContextKeyValues: ['true'],
      },
    ]);
  });

  it('checks no write when auto-remediation is off, and the tables only when configured', () => {
    // Act
    const checks = checksOf({ ...base, PROPOSALS_TABLE_NAME: 'proposals' }, WHERE);
    // Assess
    expect(checks.map((c) => c.action)).toEqual([
      'sns:Publish',
      'sagemaker:DescribeTrainingJob',
      'iam:SimulatePrincipalPolicy',
      'dynamodb:PutItem',
    ]);
  });

  it("checks the grant cleanup's own calls: list, rewrite the opted-in roles, mark records, read last access", () => {
    // Act
    const checks = cleanupChecksOf(
      {
        ...base,
        GRANTS_TABLE_NAME: 'records',
        ROLE_NAME_PATTERNS: 'AmazonSageMaker-*',
        REVIEW_UNUSED_DAYS: '30',
      },
      WHERE,
    );
    // Assess
    const actions = checks.map((c) => `${c.action} ${c.resource}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'iam:ListRoles *',
        'dynamodb:UpdateItem arn:aws:dynamodb:eu-west-1:111122223333:table/records',
        'iam:DeleteRolePolicy arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-selftest',
        'iam:GetServiceLastAccessedDetails *',
      ]),
    );
    // The remediator's own checks hold none of these when it writes no role.
    const remediator = checksOf({ ...base, PROPOSALS_TABLE_NAME: 'proposals' }, WHERE).map((c) => c.action);
    expect(remediator).not.toContain('iam:ListRoles');
    expect(remediator).not.toContain('iam:DeleteRolePolicy');
  });
});
