import { describe, expect, it } from 'vitest';
import { parseDeniedRequests } from '../../lambdas/core/access-denied.js';
import { actionsOf, diagnose, fixLocationOf } from '../../lambdas/core/diagnose.js';

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

  it('reads the forms without colons or "is" that some services write; assuming a role is the trust policy', () => {
    const [request] = parseDeniedRequests(
      'An error occurred (AccessDenied) when calling the AssumeRole operation: Not authorized to perform sts:AssumeRole',
    );
    expect(request).toMatchObject({ action: 'sts:AssumeRole', fixLocation: 'trust-policy' });
    expect(parseDeniedRequests('You are not authorized to perform this operation.')).toEqual([]);
  });

  it('ignores texts without a denial', () => {
    expect(
      parseDeniedRequests('An error occurred (ExpiredToken) when calling the GetObject operation'),
    ).toEqual([]);
  });
});

/**
 * Messages written for this test from real SageMaker, botocore, Java SDK and STS error shapes, none
 * of them in the corpus or the catalog: the generic reader must get them right without a rule.
 */
describe('the generic reader on messages no rule was written for', () => {
  const A = '123456789012';
  it.each([
    {
      name: 'Java SDK v1 wrapper around a documented statement',
      text: `com.amazonaws.services.s3.model.AmazonS3Exception: User: arn:aws:sts::${A}:assumed-role/SageMakerRole/SageMaker is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::my-bucket/data/train.csv" because no identity-based policy allows the s3:GetObject action (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 7C3F2B1A; S3 Extended Request ID: abc=; Proxy: null)`,
      actions: ['s3:GetObject'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'Java SDK v2, iam:PassRole from EMR',
      text: `software.amazon.awssdk.services.sagemaker.model.SageMakerException: User: arn:aws:sts::${A}:assumed-role/EMR_EC2_DefaultRole/i-0abc12345 is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/SageMakerRole (Service: SageMaker, Status Code: 400, Request ID: 1a2b3c4d)`,
      actions: ['iam:PassRole'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'IRSA web identity refused: the trust policy',
      text: 'WebIdentityErr: failed to retrieve credentials\ncaused by: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\n\tstatus code: 403, request id: 8f1c2d3e-aaaa-bbbb-cccc-1234567890ab',
      actions: ['sts:AssumeRoleWithWebIdentity'],
      fixLocation: 'trust-policy',
    },
    {
      name: 'a pipeline role assuming a deploy role in another account',
      text: `ClientError: An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::${A}:assumed-role/PipelineRole/build is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/CrossAccountDeploy`,
      actions: ['sts:AssumeRole'],
      fixLocation: 'trust-policy',
    },
    {
      name: 'Model Monitor failing to assume its role, in other words',
      text: `ClientError: Failed to assume the role arn:aws:iam::${A}:role/MonitorRole. Ensure the role exists and its trust policy allows sagemaker.amazonaws.com.`,
      actions: ['sts:AssumeRole'],
      fixLocation: 'trust-policy',
    },
    {
      name: 'EC2 UnauthorizedOperation with only the operation name',
      text: 'ClientError: An error occurred (UnauthorizedOperation) when calling the CreateNetworkInterface operation: You are not authorized to perform this operation. Encoded authorization failure message: 3bFqX-Zk1',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:CreateNetworkInterfacePermission',
        'ec2:DeleteNetworkInterface',
        'ec2:DeleteNetworkInterfacePermission',
        'ec2:DescribeDhcpOptions',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
      ],
      fixLocation: 'unknown',
    },
    {
      name: 'a validation message naming the action in words',
      text: 'ValidationException: The execution role does not have permission to call sagemaker:DescribeHubContent',
      actions: ['sagemaker:DescribeHubContent'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'a quoted action with "has permission for"',
      text: 'Unable to create the space. Verify that the execution role has permission for "sagemaker:CreateSpace".',
      actions: ['sagemaker:CreateSpace'],
      fixLocation: 'identity-policy',
    },
    {
      name: '"is not allowed to perform" with a role principal',
      text: `ClientError: An error occurred (AccessDeniedException) when calling the CreateEndpoint operation: Role arn:aws:iam::${A}:role/deploy is not allowed to perform: sagemaker:CreateEndpoint`,
      actions: ['sagemaker:CreateEndpoint'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'line breaks, curly quotes, an ellipsis and masked accounts in an explicit deny',
      text: 'User: arn:aws:sts::<account>:assumed-role/SageMakerRole/SageMaker\nis not authorized to perform: \u201ckms:GenerateDataKey\u201d on resource: arn:aws:kms:eu-west-1:[account id]:key/abcd\u2026\nwith an explicit deny in a resource-based policy',
      actions: ['kms:GenerateDataKey'],
      fixLocation: 'resource-policy',
    },
    {
      name: 'an upload to an SSE-KMS output: the data key and its decryption',
      text: `ClientError: Artifact upload failed:An error occurred (AccessDenied) when calling the UploadPart operation: User: arn:aws:sts::${A}:assumed-role/R/SageMaker is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:${A}:key/1234abcd because no identity-based policy allows the kms:Decrypt action`,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'logs denied from a processing container: the log-writing companions',
      text: `AccessDeniedException: User: arn:aws:sts::${A}:assumed-role/ml-role/SageMaker is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:${A}:log-group:/aws/sagemaker/ProcessingJobs:log-stream: because no identity-based policy allows the logs:CreateLogGroup action`,
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'an action the call named, beside a denial code in another sentence',
      text: 'ClientError: ClientError: Failed to invoke sagemaker:CreateModel. Error Details: Access denied.',
      actions: ['sagemaker:CreateModel'],
      fixLocation: 'identity-policy',
    },
    {
      name: 'an assume call refused by an SDK wrapper alone',
      text: 'botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the AssumeRole operation: Access denied',
      actions: ['sts:AssumeRole'],
      fixLocation: 'trust-policy',
    },
    {
      name: 'a role that cannot be assumed, in the passive',
      text: 'ClientError: Role arn:aws:iam::123456789012:role/TrainRole cannot be assumed by sagemaker.amazonaws.com.',
      actions: ['sts:AssumeRole'],
      fixLocation: 'trust-policy',
    },
    {
      name: 'a bare operation name next to "permissions", in capitals',
      text: "The role 'arn:aws:iam::****:role/ServeRole' DOES NOT HAVE GetDownloadUrlForLayer PERMISSIONS for the image: '111122223333.dkr.ecr.us-west-2.amazonaws.com/serve:latest'.",
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
      ],
      fixLocation: 'identity-policy',
    },
  ])('$name', ({ text, actions, fixLocation }) => {
    // Act
    const diagnosis = diagnose(text);
    // Assess
    expect(diagnosis.kind).toBe('permission');
    expect(actionsOf(diagnosis)).toEqual(actions);
    expect(fixLocationOf(diagnosis)).toBe(fixLocation);
  });

  it.each([
    ['out of memory, lower case', 'AlgorithmError: training exited with exit code 137', 'out-of-memory'],
    ['out of memory, capitals', 'ALGORITHMERROR: EXIT CODE: 137', 'out-of-memory'],
    [
      'a Studio user not assigned to the domain',
      'Access Denied. Please check if user is assigned to Studio Domain [d-1a2b3c] and SSO Application [Amazon SageMaker Studio (d-1a2b3c)] is Active.',
      'identity-center-assignment',
    ],
    [
      'a file permission, not an IAM one',
      "PermissionError: [Errno 13] Permission denied: '/opt/ml/input/config/CreateModel permission'",
      'local-filesystem',
    ],
  ])('stays silent on %s', (_, text, category) => {
    const diagnosis = diagnose(text);
    expect(diagnosis.kind === 'not-permission' && diagnosis.category).toBe(category);
  });

  it('names the repository and its account from "Access denied for repository", and suspects its policy first', () => {
    // Act
    const diagnosis = diagnose(
      'ClientError: Access denied for repository: team-images/trainer in registry ID: 444455556666. Please check if your ECR repository and image exist and role arn:aws:iam::111122223333:role/SageMakerExecRole has proper pull permissions for SageMaker: ecr:BatchCheckLayerAvailability, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer',
    );
    // Assess
    expect(diagnosis.kind).toBe('permission');
    if (diagnosis.kind !== 'permission') return;
    const [finding] = diagnosis.findings;
    expect(finding?.grants.flatMap((g) => g.resources)).toContain(
      'arn:aws:ecr:<region>:444455556666:repository/team-images/trainer',
    );
    expect(finding?.causes[0]).toMatch(/another account .* repository policy/);
  });

  it('calls the ciphertext message "possible": a key not allowed and a wrong key read the same', () => {
    const diagnosis = diagnose(
      'ClientError: Data download failed:Unable to download object s3://bucket/x.csv (KMS.AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.)',
    );
    expect(diagnosis.kind === 'permission' && diagnosis.findings.map((f) => f.certainty)).toEqual([
      'possible',
    ]);
    expect(actionsOf(diagnosis)).toEqual(['kms:Decrypt']);
  });

  it('does not take a kind and a name for a resource (`on resource: role basic-role`)', () => {
    const [request] = parseDeniedRequests(
      'User: arn:aws:sts::123456789012:assumed-role/R/SageMaker is not authorized to perform: iam:ListAttachedRolePolicies on resource: role basic-role',
    );
    expect(request).toMatchObject({ action: 'iam:ListAttachedRolePolicies', resource: undefined });
  });

  it('quotes the original text, line breaks and all', () => {
    const text = 'User: arn:aws:sts::****:assumed-role/R/S is not authorized\nto perform: s3:GetObject';
    const diagnosis = diagnose(text);
    expect(diagnosis.kind === 'permission' && diagnosis.findings[0]?.matchedText).toBe(text);
  });
});
