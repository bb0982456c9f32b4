import { describe, expect, it } from 'vitest';
import { parseDeniedRequests } from '../../lambdas/core/access-denied.js';

const P = 'arn:aws:sts::111122223333:assumed-role/SageMakerExecRole/SageMaker';
const stem = `User: ${P} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k.csv"`;

describe('parseDeniedRequests: the documented AccessDenied forms', () => {
  it.each([
    [`${stem} because no identity-based policy allows the s3:GetObject action`, 'identity-policy', false],
    [`${stem} because no resource-based policy allows the s3:GetObject action`, 'resource-policy', false],
    [`${stem} because no VPC endpoint policy allows the s3:GetObject action`, 'vpc-endpoint-policy', false],
    [`${stem} because no session policy allows the s3:GetObject action`, 'session-policy', false],
    [`${stem} because no permissions boundary allows the s3:GetObject action`, 'permissions-boundary', false],
    [`${stem} because no service control policy allows the s3:GetObject action`, 'scp', false],
    [`${stem} with an explicit deny in a service control policy`, 'scp', true],
    [`${stem} with an explicit deny in a permissions boundary`, 'permissions-boundary', true],
    [`${stem} with an explicit deny in an identity-based policy`, 'identity-policy', true],
    [`${stem} with an explicit deny in a resource-based policy`, 'resource-policy', true],
    [`${stem} with an explicit deny in a session policy`, 'session-policy', true],
    [`${stem} with an explicit deny in a VPC endpoint policy`, 'vpc-endpoint-policy', true],
    [`${stem} with an explicit deny in a resource control policy`, 'resource-control-policy', true],
    [`${stem} with an explicit deny`, 'unknown', true],
    [stem, 'identity-policy', false],
  ])('%s', (text, fixLocation, explicitDeny) => {
    // Act
    const [request] = parseDeniedRequests(text);
    // Assess
    expect(request).toMatchObject({
      principalArn: P,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::b/k.csv',
      fixLocation,
      explicitDeny,
    });
  });

  it('reads the policy ARN that newer explicit-deny messages name', () => {
    const policyArn = 'arn:aws:organizations::999988887777:policy/o-abc/service_control_policy/p-1234';
    const [request] = parseDeniedRequests(
      `${stem} with an explicit deny in a service control policy: ${policyArn}`,
    );
    expect(request?.policyArn).toBe(policyArn);
    expect(request?.fixLocation).toBe('scp');
  });

  it('derives the action from the SDK operation when the message names none', () => {
    const requests = parseDeniedRequests(
      'An error occurred (AccessDenied) when calling the CreateMultipartUpload operation: Access Denied',
    );
    expect(requests).toEqual([expect.objectContaining({ action: 's3:PutObject', fixLocation: 'unknown' })]);
  });

  it.each([
    ['DescribeTrainingJob', 'sagemaker:DescribeTrainingJob'],
    ['AddTags', 'sagemaker:AddTags'],
    ['CreateBucket', 's3:CreateBucket'],
    ['GetSecretValue', 'secretsmanager:GetSecretValue'],
  ])('maps the %s operation to %s by the published action list', (operation, action) => {
    const [request] = parseDeniedRequests(
      `An error occurred (AccessDeniedException) when calling the ${operation} operation: Access Denied`,
    );
    expect(request?.action).toBe(action);
  });

  it('names no action for an operation several unlikely services share', () => {
    expect(
      parseDeniedRequests(
        'An error occurred (AccessDenied) when calling the TagResource operation: Access Denied',
      ),
    ).toEqual([]);
  });

  it('prefers the statement over its SDK wrapper', () => {
    const requests = parseDeniedRequests(
      `An error occurred (AccessDeniedException) when calling the Decrypt operation: User: ${P} is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action`,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.action).toBe('kms:Decrypt');
  });

  it('does not report a placeholder principal or resource', () => {
    const [request] = parseDeniedRequests(
      'User: ... is not authorized to perform: logs:DescribeLogStreams on resource: ...',
    );
    expect(request?.principalArn).toBeUndefined();
    expect(request?.resource).toBeUndefined();
  });

  it('reads the forms without colons or "is" that some services write', () => {
    const [request] = parseDeniedRequests(
      'An error occurred (AccessDenied) when calling the AssumeRole operation: Not authorized to perform sts:AssumeRole',
    );
    expect(request).toMatchObject({ action: 'sts:AssumeRole', fixLocation: 'identity-policy' });
    expect(parseDeniedRequests('You are not authorized to perform this operation.')).toEqual([]);
  });

  it('ignores texts without a denial', () => {
    expect(
      parseDeniedRequests('An error occurred (ExpiredToken) when calling the GetObject operation'),
    ).toEqual([]);
  });
});
