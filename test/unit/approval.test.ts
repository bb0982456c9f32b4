/**
 * The approval core: what a chat payload may say, which stored records are read at all, and the
 * decision a click gets when the record is re-derived through the guard.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalConfig, ProposalRecord } from '../../lambdas/core/approval.js';
import {
  APPROVAL_STATES,
  approvalDetailOf,
  approvalRequestOf,
  approverOf,
  decideApproval,
  proposalIdOf,
  proposalRecordOf,
} from '../../lambdas/core/approval.js';
import type { JobContext } from '../../lambdas/core/index.js';
import { diagnose, failedJobFromInput, propose } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const GATES: ApprovalConfig = {
  allowedAccounts: ['111122223333'],
  roleNamePatterns: ['SageMakerExec*'],
  resourcePatterns: ['arn:aws:kms:us-east-1:111122223333:key/*'],
};
const codesOf = (refusals: readonly { code: string }[]): string[] => refusals.map((r) => r.code);
const NOT_VERIFIED = { status: 'not-attempted', reason: 'test' } as const;

/** The record the remediator stores for a job, as it stores it. */
function recordFor(job: JobContext): ProposalRecord {
  const diagnosis = diagnose(job.failureReason ?? '', job);
  if (diagnosis.kind !== 'permission') throw new Error('expected a permission diagnosis');
  const { policy, policyName, roleArn } = propose(diagnosis, NOT_VERIFIED);
  if (!policy || !policyName || !roleArn) throw new Error('expected a policy for the execution role');
  return {
    proposalId: proposalIdOf(job, roleArn, policy),
    roleArn,
    policyName,
    policy,
    job,
    verification: NOT_VERIFIED,
  };
}

const kmsJob = (): JobContext => failedJobFromInput(readEvent('training-kms-output-denied.json'));

describe('approvalRequestOf', () => {
  it.each([
    [
      'the custom action payload',
      { proposalId: '0123456789abcdef01234567' },
      { proposalId: '0123456789abcdef01234567' },
    ],
    [
      'a payload naming the approver',
      {
        proposalId: '0123456789abcdef01234567',
        approvedBy: 'arn:aws:sts::111122223333:assumed-role/Chat/alice',
      },
      {
        proposalId: '0123456789abcdef01234567',
        approvedBy: 'arn:aws:sts::111122223333:assumed-role/Chat/alice',
      },
    ],
    ['an id that is not one', { proposalId: '../../etc', approvedBy: 'bob' }, { approvedBy: 'bob' }],
    ['a mention as the approver', { approvedBy: '<!here>' }, {}],
    ['no object', 'proposalId', {}],
  ])('reads %s', (_name, event, expected) => {
    expect(approvalRequestOf(event)).toEqual({ proposalId: undefined, approvedBy: undefined, ...expected });
  });

  it('says "approver unknown" when the payload names nobody', () => {
    expect(approverOf({})).toBe('approver unknown');
    expect(approverOf({ approvedBy: 'alice' })).toBe('approved by alice');
  });
});

describe('proposalRecordOf', () => {
  it('reads back what the remediator stores', () => {
    const record = recordFor(kmsJob());
    expect(proposalRecordOf(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it.each([
    ['a number for the failure text', (r: ProposalRecord) => ({ ...r, job: { ...r.job, failureReason: 7 } })],
    ['no S3 locations list', (r: ProposalRecord) => ({ ...r, job: { ...r.job, s3Locations: 'x' } })],
    ['a policy without statements', (r: ProposalRecord) => ({ ...r, policy: { Version: '2012-10-17' } })],
    [
      'a verification without a reason',
      (r: ProposalRecord) => ({ ...r, verification: { status: 'unverified' } }),
    ],
    ['no role', (r: ProposalRecord) => ({ ...r, roleArn: undefined })],
  ])('refuses a record with %s', (_name, damage) => {
    expect(proposalRecordOf(damage(recordFor(kmsJob())))).toBeUndefined();
  });
});

describe('decideApproval', () => {
  it('approves exactly the stored policy under the operator gates', () => {
    const record = recordFor(kmsJob());
    const decision = decideApproval(record, GATES);
    expect(decision).toMatchObject({
      eligible: true,
      refusals: [],
      policy: record.policy,
      diagnosis: { kind: 'permission', untrustedText: false },
    });
  });

  it.each([
    [
      'an account the operator did not allow',
      { ...GATES, allowedAccounts: ['999988887777'] },
      'account-not-allowed',
    ],
    ['a role no pattern opts in', { ...GATES, roleNamePatterns: ['Prod*'] }, 'role-not-opted-in'],
    [
      'a key the operator did not declare',
      { ...GATES, resourcePatterns: undefined },
      'resource-not-declared',
    ],
  ])('refuses %s: the click replaces only the autoRemediate switch', (_name, gates, code) => {
    const decision = decideApproval(recordFor(kmsJob()), gates);
    expect(decision.eligible).toBe(false);
    expect(codesOf(decision.refusals)).toContain(code);
  });

  it('accepts the opt-in tag instead of a pattern', () => {
    const decision = decideApproval(
      recordFor(kmsJob()),
      { ...GATES, roleNamePatterns: [] },
      {
        roleTags: { 'sagemaker-iam-remediator:auto': 'true' },
      },
    );
    expect(decision.eligible).toBe(true);
  });

  it('re-derives from the failure text: a stored policy the text does not call for is refused', () => {
    const record = recordFor(kmsJob());
    const widened = {
      ...record,
      policy: {
        ...record.policy,
        Statement: [{ ...record.policy.Statement[0], Action: ['kms:GenerateDataKey', 'kms:Decrypt'] }],
      },
    } as ProposalRecord;
    const decision = decideApproval(
      { ...widened, proposalId: proposalIdOf(widened.job, widened.roleArn, widened.policy) },
      GATES,
    );
    expect(decision.eligible).toBe(false);
    expect(decision.refusals).toContainEqual({
      code: 'stored-policy-differs',
      message: 'the stored policy is not what the guard allows for this failure: nothing is applied',
    });
  });

  it('refuses a record whose id is not its own', () => {
    const decision = decideApproval(
      { ...recordFor(kmsJob()), proposalId: '0123456789abcdef01234567' },
      GATES,
    );
    expect(decision.refusals).toContainEqual({
      code: 'record-inconsistent',
      message: 'the stored record does not match its own policy: nothing is applied',
    });
  });

  it('refuses a role of another account than the job', () => {
    const record = recordFor(kmsJob());
    const roleArn = 'arn:aws:iam::999988887777:role/SageMakerExecRole';
    const job = { ...record.job, roleArn };
    const decision = decideApproval(
      { ...record, job, roleArn, proposalId: proposalIdOf(job, roleArn, record.policy) },
      GATES,
    );
    expect(decision.eligible).toBe(false);
    expect(decision.refusals).toContainEqual({
      code: 'role-other-account',
      message: `the role ${roleArn} is not in the job's account 111122223333`,
    });
  });

  it('refuses a record whose failure text is not a permission problem', () => {
    const record = recordFor(kmsJob());
    const decision = decideApproval(
      { ...record, job: { ...record.job, failureReason: 'ClientError: out of memory' } },
      GATES,
    );
    expect(decision).toMatchObject({
      eligible: false,
      refusals: [
        {
          code: 'not-permission',
          message: 'the stored failure text is not a permission problem: nothing is applied',
        },
      ],
    });
  });

  it('lets the human waive the no-automation rule for container text, and returns the re-derived diagnosis', () => {
    const job = kmsJob();
    const record = recordFor({ ...job, failureReason: `AlgorithmError: ${job.failureReason ?? ''}` });
    const decision = decideApproval(record, GATES);
    expect(decision).toMatchObject({ eligible: true, refusals: [] });
    expect(decision.diagnosis).toMatchObject({ kind: 'permission', untrustedText: true });
  });
});

describe('approvalDetailOf', () => {
  const base = { approver: 'approver unknown', policyName: 'p', reasons: [], untrustedOrigin: false };

  it.each([
    [
      { ...base, state: APPROVAL_STATES.applied },
      'Approved in chat (approver unknown): inline policy p attached.',
    ],
    [
      { ...base, state: APPROVAL_STATES.applied, alreadyAttached: true },
      'Approved in chat (approver unknown): inline policy p was already attached.',
    ],
    [
      {
        ...base,
        state: APPROVAL_STATES.refused,
        reasons: [
          { code: 'expired', message: 'a' },
          { code: 'too-large', message: 'b' },
        ] as const,
      },
      'Approved in chat (approver unknown) but not applied (refused): a [expired]; b [too-large].',
    ],
  ])('says what happened: %o', (outcome, text) => {
    expect(approvalDetailOf(outcome)).toBe(text);
  });

  it('says the approval followed the untrusted-origin warning', () => {
    expect(approvalDetailOf({ ...base, state: APPROVAL_STATES.applied, untrustedOrigin: true })).toBe(
      'Approved in chat (approver unknown) after the untrusted-origin warning: inline policy p attached.',
    );
  });
});
