/**
 * Organization mode as deployed: the central function (us-east-1, its role from the central template)
 * fixes a job of a member account in another region (eu-west-1) through the member role created from
 * the member template, every call decided against the two templates: the central role's identity
 * policy, the member role's trust (aws:PrincipalArn) and its policies.
 */
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { CreateTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeployedStack, logicalId, synthesizeMember } from '../support/deployed-stack.js';
import {
  CONSOLE_ROLE_NAME,
  CONSOLE_ROLE_PATTERN,
  SAGEMAKER_TRUST,
  useDeployedWorld,
} from '../support/deployed-world.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { adminCredentialsIn } from '../support/simulate-answerer.js';
import { motoEvent } from '../support/world.js';

const REMEDIATOR = '../../lambdas/remediator/handler.js';
const MEMBER = '222233334444';
const MEMBER_REGION = 'eu-west-1';
const ORGANIZATION = 'o-a1b2c3d4e5';
const EXECUTION_ROLE = `arn:aws:iam::${MEMBER}:role/service-role/${CONSOLE_ROLE_NAME}`;
const KEY = `arn:aws:kms:${MEMBER_REGION}:${MEMBER}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
const JOB = 'xgb-member-job';

const deployed = useDeployedWorld({
  remediator: {
    central: { organizationId: ORGANIZATION },
    autoRemediate: true,
    allowedAccounts: [MEMBER],
    roleNamePatterns: [CONSOLE_ROLE_PATTERN],
    autoRemediateResources: [`arn:aws:kms:${MEMBER_REGION}:${MEMBER}:key/*`],
  },
});
const memberTemplate = synthesizeMember(
  { centralAccountId: MOTO_ACCOUNT, allowRemediation: true, roleNamePatterns: [CONSOLE_ROLE_PATTERN] },
  { account: MEMBER, region: MEMBER_REGION },
);

let memberIam: IAMClient;

beforeEach(async () => {
  // Prepare: the member stack's role, the team's console execution role and its job, in eu-west-1.
  const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
  const credentials = await adminCredentialsIn(endpoint, MEMBER);
  memberIam = new IAMClient({ credentials });
  const member = new DeployedStack(memberTemplate, { account: MEMBER, region: MEMBER_REGION });
  const memberRoleId = logicalId(memberTemplate, 'AWS::IAM::Role', 'ForwarderCentralAccessRole');
  const memberRoleArn = await member.createRole(memberIam, memberRoleId);
  await member.attachPolicies(memberIam, memberRoleId);
  const trust = member.resolve(memberTemplate.Resources[memberRoleId]?.Properties?.AssumeRolePolicyDocument);
  deployed.stack.externalResourcePolicies.set(memberRoleArn, trust);
  deployed.enforcer.roles.set(memberRoleArn, {
    ...member.principalOf(memberRoleId),
    sessionArn: `arn:aws:sts::${MEMBER}:assumed-role/${String(member.resolve({ Ref: memberRoleId }))}/sagemaker-iam-remediator`,
  });
  Object.assign(deployed.enforcer.context, {
    'aws:ResourceOrgID': ORGANIZATION,
    'aws:PrincipalOrgID': ORGANIZATION,
  });
  await memberIam.send(
    new CreateRoleCommand({
      RoleName: CONSOLE_ROLE_NAME,
      Path: '/service-role/',
      AssumeRolePolicyDocument: SAGEMAKER_TRUST,
    }),
  );
  await new SageMakerClient({ credentials, region: MEMBER_REGION }).send(
    new CreateTrainingJobCommand({
      TrainingJobName: JOB,
      RoleArn: EXECUTION_ROLE,
      AlgorithmSpecification: {
        TrainingImage: `${MEMBER}.dkr.ecr.${MEMBER_REGION}.amazonaws.com/trainer:1`,
        TrainingInputMode: 'File',
      },
      OutputDataConfig: { S3OutputPath: 's3://member-output/model_artifacts', KmsKeyId: KEY },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }),
  );
});

/** The member's failure as the central bus receives it: the job's name only, in its own region. */
function memberFailure(): Record<string, unknown> {
  const sample = JSON.parse(
    JSON.stringify(motoEvent('training-kms-output-denied.json', MEMBER))
      .replaceAll('us-east-1', MEMBER_REGION)
      .replaceAll('SageMakerExecRole', CONSOLE_ROLE_NAME),
  ) as { detail: Record<string, unknown> } & Record<string, unknown>;
  return {
    ...sample,
    detail: {
      TrainingJobName: JOB,
      TrainingJobArn: `arn:aws:sagemaker:${MEMBER_REGION}:${MEMBER}:training-job/${JOB}`,
      TrainingJobStatus: 'Failed',
      FailureReason: sample.detail.FailureReason,
    },
  };
}

describe('organization mode as deployed', () => {
  it("fixes a member account's job in another region than the central stack, through the member role", async () => {
    // Act
    const [result] = await deployed.invoke('RemediatorFunction', REMEDIATOR, [memberFailure()]);
    // Assess: the job was read in its own region, and the fix attached in the member account.
    expect(deployed.enforcer.decided).toContain(
      `sagemaker:DescribeTrainingJob on arn:aws:sagemaker:${MEMBER_REGION}:${MEMBER}:training-job/${JOB}`,
    );
    expect(result).toMatchObject({ status: 'applied' });
    const { PolicyNames = [] } = await memberIam.send(
      new ListRolePoliciesCommand({ RoleName: CONSOLE_ROLE_NAME }),
    );
    const [policyName = ''] = PolicyNames;
    const { PolicyDocument = '' } = await memberIam.send(
      new GetRolePolicyCommand({ RoleName: CONSOLE_ROLE_NAME, PolicyName: policyName }),
    );
    expect(decodeURIComponent(PolicyDocument)).toContain(KEY);
    expect(deployed.enforcer.decided).toContain(`iam:PutRolePolicy on ${EXECUTION_ROLE}`);
    deployed.expectEveryCallAllowed();
  });
});
