import { describe, expect, it } from 'vitest';
import { decideAutoApply } from '../../lambdas/core/guard.js';
import { analyse, failedJobFromInput, InvalidInputError } from '../../lambdas/core/index.js';
import { readEvent } from '../helpers/fixtures.js';

const DENIED_CALL = 'cloudtrail-createtrainingjob-passrole-denied.json';

describe('a Create*Job call denied before any job existed (CloudTrail)', () => {
  it('reads the request parameters as the job and the error message as the failure', () => {
    const job = failedJobFromInput(readEvent(DENIED_CALL));
    expect(job).toMatchObject({
      origin: 'api-call',
      jobType: 'training',
      jobName: 'xgb-churn-2026-11-20-08-59-02-118',
      accountId: '111122223333',
      region: 'us-east-1',
      roleArn: 'arn:aws:iam::111122223333:role/SageMakerExecRole',
      failureReason: expect.stringMatching(/^AccessDeniedException: User: .* iam:PassRole/),
    });
    expect(job.s3Locations.map((l) => l.uri)).toEqual([
      's3://my-training-bucket/training_data/train',
      's3://my-output-bucket/model_artifacts',
    ]);
  });

  it('proposes iam:PassRole for the caller, on exactly that role, only towards SageMaker', () => {
    const job = failedJobFromInput(readEvent(DENIED_CALL));
    const outcome = analyse(job.failureReason ?? '', job);
    expect(outcome.kind).toBe('permission');
    if (outcome.kind !== 'permission') return;
    expect(outcome.proposal).toMatchObject({ roleName: 'DataScientist', fixLocation: 'identity-policy' });
    expect(outcome.proposal.policy?.Statement).toEqual([
      {
        Sid: 'JobSubmission',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: ['arn:aws:iam::111122223333:role/SageMakerExecRole'],
        Condition: { StringEquals: { 'iam:PassedToService': ['sagemaker.amazonaws.com'] } },
      },
    ]);
    // Never applied automatically: the caller is not the job's execution role.
    const decision = decideAutoApply(outcome.diagnosis, job, {
      autoRemediate: true,
      allowedAccounts: ['111122223333'],
      roleNamePatterns: ['*'],
    });
    expect(decision.eligible && decision.refusals.length === 0).toBe(false);
    expect(decision.refusals.map((r) => r.code)).toEqual(
      expect.arrayContaining(['api-call-origin', 'principal-not-execution-role']),
    );
  });

  it.each([
    ['a call that was not denied', { errorCode: undefined, errorMessage: undefined }, /was not denied/],
    ['another SageMaker call', { eventName: 'CreateEndpoint' }, /not a SageMaker Create\*Job call/],
    ['another service', { eventSource: 'ec2.amazonaws.com' }, /not a SageMaker Create\*Job call/],
  ])('rejects %s', (_name, change, message) => {
    const event = readEvent(DENIED_CALL);
    const detail = { ...(event.detail as Record<string, unknown>), ...change };
    expect(() => failedJobFromInput({ ...event, detail })).toThrow(InvalidInputError);
    expect(() => failedJobFromInput({ ...event, detail })).toThrow(message);
  });
});
