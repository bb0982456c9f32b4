/**
 * A role SageMaker cannot assume (its trust names Lambda alone) and a training job submitted with it:
 * the one definite pre-flight failure that needs no permission at all, shared by the tests that
 * check it offline, on moto and as deployed.
 */
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { MOTO_ACCOUNT } from './moto.js';
import type { World } from './world.js';

export const LAMBDA_ONLY_ROLE_NAME = 'LambdaOnlyRole';

/** Creates the role on the server and returns its ARN. */
export async function createLambdaOnlyRole(world: World): Promise<string> {
  const { Role } = await world.iam.send(
    new CreateRoleCommand({
      RoleName: LAMBDA_ONLY_ROLE_NAME,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  return Role?.Arn ?? '';
}

/** Submits a training job of `roleArn` to the server, as the pre-flight rule would see it submitted. */
export async function submitTrainingJob(world: World, jobName: string, roleArn: string): Promise<void> {
  await world.sagemaker.send(
    new CreateTrainingJobCommand({
      TrainingJobName: jobName,
      RoleArn: roleArn,
      AlgorithmSpecification: {
        TrainingImage: `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/trainer:1`,
        TrainingInputMode: 'File',
      },
      OutputDataConfig: { S3OutputPath: 's3://my-output-bucket/model_artifacts' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }),
  );
}
