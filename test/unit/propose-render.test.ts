import { describe, expect, it } from 'vitest';
import {
  analyse,
  failedJobFromInput,
  renderChatbot,
  renderJson,
  renderText,
} from '../../lambdas/core/index.js';
import type { Grant } from '../../lambdas/core/index.js';
import {
  INLINE_POLICY_LIMIT,
  policyFromGrants,
  policyNameOf,
  shellQuote,
} from '../../lambdas/core/propose.js';
import { readEvent } from '../helpers/fixtures.js';

const grant = (actions: string[], resources: string[]): Grant => ({
  actions,
  resources,
  resourceSource: 'job',
});

describe('policyFromGrants', () => {
  it('merges grants on equal resources, dedupes and sorts actions, and numbers Sids stably', () => {
    // Prepare
    const grants = [
      { channel: 'output', grant: grant(['s3:PutObject'], ['arn:aws:s3:::b/o/*']) },
      {
        channel: 'output',
        grant: grant(['s3:AbortMultipartUpload', 's3:PutObject'], ['arn:aws:s3:::b/o/*']),
      },
      { channel: 'input-data', grant: grant(['s3:GetObject'], ['arn:aws:s3:::b/i/*']) },
    ];
    // Act
    const policy = policyFromGrants(grants);
    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'InputData', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/i/*'] },
        {
          Sid: 'Output',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
          Resource: ['arn:aws:s3:::b/o/*'],
        },
      ],
    });
    expect(policyFromGrants([...grants].reverse())).toEqual(policy);
  });

  it('names the policy from its content', () => {
    const a = policyFromGrants([
      { channel: 'output', grant: grant(['s3:PutObject'], ['arn:aws:s3:::b/o/*']) },
    ]);
    const b = policyFromGrants([
      { channel: 'output', grant: grant(['s3:PutObject'], ['arn:aws:s3:::b/p/*']) },
    ]);
    expect(policyNameOf(a)).toBe(policyNameOf(structuredClone(a)));
    expect(policyNameOf(a)).not.toBe(policyNameOf(b));
    expect(policyNameOf(a)).toMatch(/^sagemaker-iam-remediator-[0-9a-f]{12}$/);
  });
});

describe('the proposal of a sample event', () => {
  const job = failedJobFromInput(readEvent('training-s3-output-access-denied.json'));
  const outcome = analyse(job.failureReason ?? '', job);
  if (outcome.kind !== 'permission') throw new Error('expected a permission outcome');
  const { proposal } = outcome;

  it('has a put-role-policy command that a shell reads back as the exact policy', () => {
    expect(proposal.command).toBe(
      `aws iam put-role-policy --role-name 'SageMakerExecRole' --policy-name ${proposal.policyName} --policy-document ${shellQuote(JSON.stringify(proposal.policy))}`,
    );
    expect(proposal.withinInlinePolicyLimit).toBe(true);
    expect(JSON.stringify(proposal.policy).length).toBeLessThan(INLINE_POLICY_LIMIT);
  });

  it('quotes single quotes for a POSIX shell', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it('renders text with the policy and the command', () => {
    const text = renderText(outcome);
    expect(text).toContain('role SageMakerExecRole lacks s3:AbortMultipartUpload, s3:PutObject');
    expect(text).toContain('"s3:PutObject"');
    expect(text).toContain('aws iam put-role-policy');
  });

  it('renders a valid AWS Chatbot custom notification', () => {
    const notification = renderChatbot(outcome);
    expect(notification).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: expect.any(String), description: expect.any(String) },
      metadata: { threadId: job.jobName, eventType: 'SageMakerPermissionFailure' },
    });
    expect(notification.content.nextSteps?.[0]).toContain('aws iam put-role-policy');
    expect(notification.content.description.length).toBeLessThanOrEqual(3_502);
  });

  it('renders JSON with the IAM policy document in `policy`', () => {
    expect(renderJson(outcome)).toMatchObject({
      isPermission: true,
      policy: {
        Version: '2012-10-17',
        Statement: [expect.objectContaining({ Action: ['s3:AbortMultipartUpload', 's3:PutObject'] })],
      },
    });
  });

  it('renders a non-permission verdict without a policy', () => {
    const oom = analyse('AlgorithmError: Please use an instance type with more memory. Exit Code: 137');
    expect(renderJson(oom)).toMatchObject({ isPermission: false, category: 'out-of-memory' });
    expect(renderJson(oom)).not.toHaveProperty('policy');
    expect(renderText(oom)).toContain('not a permission problem');
    expect(renderChatbot(oom).content.title).toContain('not a permission problem');
  });
});

describe('advice where an Allow cannot help', () => {
  it.each([
    [
      'with an explicit deny in a permissions boundary',
      'permissions-boundary',
      /Explicit deny .* in permissions-boundary/,
    ],
    [
      'because no resource-based policy allows the kms:Decrypt action',
      'resource-policy',
      /resource policy of the target/,
    ],
    ['because no VPC endpoint policy allows the kms:Decrypt action', 'vpc-endpoint-policy', /VPC endpoint/],
  ])('%s', (reason, fixLocation, advice) => {
    const outcome = analyse(
      `User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k ${reason}`,
    );
    expect(outcome.kind === 'permission' && outcome.proposal).toMatchObject({
      fixLocation,
      policy: undefined,
    });
    expect(outcome.kind === 'permission' && outcome.proposal.advice.join('\n')).toMatch(advice);
  });
});
