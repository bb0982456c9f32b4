/**
 * The approval core: what a chat payload may say, which stored records are read at all, and the
 * decision a click gets when the record is re-derived through the guard.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalConfig, ApprovalRecord } from '../../lambdas/core/approval.js';
import {
  APPROVAL_STATES,
  approvalDetailOf,
  approvalRecordOf,
  approvalRequestOf,
  approverOf,
  decideApproval,
  proposalIdOf,
} from '../../lambdas/core/approval.js';
import type { JobContext } from '../../lambdas/core/index.js';
import { diagnose, failedJobFromInput, propose } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const GATES: ApprovalConfig = { allowedAccounts: ['111122223333'], roleNamePatterns: ['SageMakerExec*'] };
const NOT_VERIFIED = { status: 'not-attempted', reason: 'test' } as const;

/** The record the remediator stores for a job, as it stores it. */
function recordFor(job: JobContext): ApprovalRecord {
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

describe('approvalRecordOf', () => {
  it('reads back what the remediator stores', () => {
    const record = recordFor(kmsJob());
    expect(approvalRecordOf(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it.each([
    ['a number for the failure text', (r: ApprovalRecord) => ({ ...r, job: { ...r.job, failureReason: 7 } })],
    ['no S3 locations list', (r: ApprovalRecord) => ({ ...r, job: { ...r.job, s3Locations: 'x' } })],
    ['a policy without statements', (r: ApprovalRecord) => ({ ...r, policy: { Version: '2012-10-17' } })],
    [
      'a verification without a reason',
      (r: ApprovalRecord) => ({ ...r, verification: { status: 'unverified' } }),
    ],
    ['no role', (r: ApprovalRecord) => ({ ...r, roleArn: undefined })],
  ])('refuses a record with %s', (_name, damage) => {
    expect(approvalRecordOf(damage(recordFor(kmsJob())))).toBeUndefined();
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
      untrustedText: false,
    });
  });

  it.each([
    [
      'an account the operator did not allow',
      { ...GATES, allowedAccounts: ['999988887777'] },
      /not in allowedAccounts/,
    ],
    ['a role no pattern opts in', { ...GATES, roleNamePatterns: ['Prod*'] }, /matches no roleNamePatterns/],
  ])('refuses %s: the click replaces only the autoRemediate switch', (_name, gates, refusal) => {
    const decision = decideApproval(recordFor(kmsJob()), gates);
    expect(decision.eligible).toBe(false);
    expect(decision.refusals.join('\n')).toMatch(refusal);
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
    } as ApprovalRecord;
    const decision = decideApproval(
      { ...widened, proposalId: proposalIdOf(widened.job, widened.roleArn, widened.policy) },
      GATES,
    );
    expect(decision.eligible).toBe(false);
    expect(decision.refusals).toContain(
      'the stored policy is not what the guard allows for this failure: nothing is applied',
    );
  });

  it('refuses a record whose id is not its own', () => {
    const decision = decideApproval(
      { ...recordFor(kmsJob()), proposalId: '0123456789abcdef01234567' },
      GATES,
    );
    expect(decision.refusals).toContain(
      'the stored record does not match its own policy: nothing is applied',
    );
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
    expect(decision.refusals.join('\n')).toContain(
      `the role ${roleArn} is not in the job's account 111122223333`,
    );
  });

  it('refuses a record whose failure text is not a permission problem', () => {
    const record = recordFor(kmsJob());
    const decision = decideApproval(
      { ...record, job: { ...record.job, failureReason: 'ClientError: out of memory' } },
      GATES,
    );
    expect(decision).toMatchObject({
      eligible: false,
      refusals: ['the stored failure text is not a permission problem: nothing is applied'],
    });
  });

  it('marks a proposal from container-written text, so the messages repeat the warning', () => {
    const job = kmsJob();
    const record = recordFor({ ...job, failureReason: `AlgorithmError: ${job.failureReason ?? ''}` });
    expect(decideApproval(record, GATES).untrustedText).toBe(true);
  });
});

describe('approvalDetailOf', () => {
  const base = { approver: 'approver unknown', policyName: 'p', reasons: [], untrustedText: false };

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
      { ...base, state: APPROVAL_STATES.refused, reasons: ['a', 'b'] },
      'Approved in chat (approver unknown) but not applied (refused): a; b.',
    ],
  ])('says what happened: %o', (outcome, text) => {
    expect(approvalDetailOf(outcome)).toBe(text);
  });

  it('puts the untrusted-text warning first', () => {
    const [first] = approvalDetailOf({ ...base, state: APPROVAL_STATES.applied, untrustedText: true }).split(
      '\n',
    );
    expect(first).toMatch(/^Warning: this fix was derived from text the training container wrote/);
  });
});
