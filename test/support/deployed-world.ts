/**
 * The lifecycle of a "test as deployed" integration file: one moto server and one synthesized
 * template per file; before each test the server is reset, the template's resources and function
 * roles are created on it by an administrator, and an inbox queue is subscribed to the template's
 * topic. The functions' calls go through the IAM enforcer (which decides each against the template,
 * as moto's own evaluator cannot for SNS, DynamoDB or SageMaker resources, nor conditions), then the
 * SimulatePrincipalPolicy answerer, then moto. The execution roles are the shapes SageMaker users
 * have: the console's, under `service-role/`.
 */
import type { Tag } from '@aws-sdk/client-iam';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { RemediatorStackProps } from '../../lib/remediator-stack.js';
import type { SageMakerPermissionRemediatorProps } from '../../lib/sagemaker-permission-remediator.js';
import type { Credentials, DeployedStack, EntryRunner, StackEnv } from './deployed-stack.js';
import { ADMINISTRATOR, deployOnMoto, HOME, logicalId, synthesize } from './deployed-stack.js';
import type { IamEnforcer } from './iam-enforcer.js';
import { startIamEnforcer } from './iam-enforcer.js';
import { MOTO_ACCOUNT } from './moto.js';
import type { LastUse, SimulateAnswerer } from './simulate-answerer.js';
import { startSimulateAnswerer } from './simulate-answerer.js';
import { useMotoWorld } from './moto-world.js';
import { motoEvent, World } from './world.js';

/** The name the SageMaker console gives an execution role, and the path it puts it under. */
export const CONSOLE_ROLE_NAME = 'AmazonSageMaker-ExecutionRole-20261120T090211';
export const CONSOLE_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:role/service-role/${CONSOLE_ROLE_NAME}`;
export const CONSOLE_ROLE_PATTERN = 'AmazonSageMaker-ExecutionRole-*';
export const OPT_IN = { Key: 'sagemaker-iam-remediator:auto', Value: 'true' } as const;

/** The trust of a console execution role: SageMaker alone may assume it. */
export const SAGEMAKER_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

/** Auto-remediation of the console's execution roles, on this account's KMS keys: the deployed tests' base. */
export const CONSOLE_AUTO_FIX = {
  autoRemediate: true,
  allowedAccounts: [MOTO_ACCOUNT],
  roleNamePatterns: [CONSOLE_ROLE_PATTERN],
  autoRemediateResources: [`arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/*`],
} as const satisfies SageMakerPermissionRemediatorProps;

export interface DeployedWorld {
  readonly stack: DeployedStack;
  /** Answers SimulatePrincipalPolicy from the roles on moto; passes the rest to moto. */
  readonly answererEndpoint: string;
  /** What IAM's last-accessed report says of each role (by ARN); reset before each test. */
  lastAccessed: Record<string, readonly LastUse[]>;
  /** Decides every call of the functions' credentials; see {@link DeployedWorld.invoke}. */
  readonly enforcer: IamEnforcer;
  /**
   * Runs the function (by construct-id prefix) as deployed, through the enforcer: its source entry in
   * this process, or with `run` another way (a built bundle in a fresh `node`).
   */
  invoke(
    functionPrefix: string,
    entry: string,
    events: readonly unknown[],
    run?: EntryRunner,
  ): Promise<unknown[]>;
  /** Asserts that the template allowed every call made so far, and that each was understood. */
  expectEveryCallAllowed(): void;
  /** The administrator who created everything; its clients read and write as such. */
  readonly admin: Credentials;
  /** The template's topic and an inbox subscribed to it, read with the administrator's clients. */
  readonly world: World;
  /** Logical ids of the template's functions, by the prefix of their construct id. */
  functionId(prefix: string): string;
  /** Creates the console-shaped execution role, with tags. */
  createExecutionRole(tags?: Tag[]): Promise<void>;
}

/** A sample failure event of the console-shaped execution role. */
export function consoleRoleEvent(file: string): Record<string, unknown> {
  const text = JSON.stringify(motoEvent(file))
    .replaceAll(':role/SageMakerExecRole', `:role/service-role/${CONSOLE_ROLE_NAME}`)
    .replaceAll('SageMakerExecRole', CONSOLE_ROLE_NAME);
  return JSON.parse(text) as Record<string, unknown>;
}

export function useDeployedWorld(props: RemediatorStackProps, env: StackEnv = HOME): DeployedWorld {
  const moto = useMotoWorld({ withWorld: false });
  const template = synthesize(props, env);
  const state = {} as { stack: DeployedStack; admin: Credentials; world: World; enforcer: IamEnforcer };
  let answerer: SimulateAnswerer | undefined;
  beforeAll(async () => {
    answerer = await startSimulateAnswerer(moto.moto.endpoint);
    state.enforcer = await startIamEnforcer(answerer.endpoint);
  });
  afterAll(async () => {
    await state.enforcer.stop();
    await answerer?.stop();
  });
  beforeEach(async () => {
    await moto.moto.reset();
    if (answerer) answerer.lastAccessed = {};
    state.enforcer.principals.clear();
    state.enforcer.roles.clear();
    for (const list of [state.enforcer.denials, state.enforcer.unmapped, state.enforcer.decided])
      list.length = 0;
    const world = new World();
    await world.iam.send(new CreateUserCommand({ UserName: ADMINISTRATOR }));
    await world.iam.send(
      new PutUserPolicyCommand({
        UserName: ADMINISTRATOR,
        PolicyName: 'everything',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const { AccessKey } = await world.iam.send(new CreateAccessKeyCommand({ UserName: ADMINISTRATOR }));
    const admin = {
      accessKeyId: AccessKey?.AccessKeyId ?? '',
      secretAccessKey: AccessKey?.SecretAccessKey ?? '',
    };
    for (const client of [world.iam, world.sns, world.sqs, world.sagemaker, world.dynamodb])
      client.config.credentials = async () => admin;
    const stack = await deployOnMoto(template, admin, env);
    world.topicArn = String(
      stack.resolve({ Ref: logicalId(template, 'AWS::SNS::Topic', 'RemediatorTopic') }),
    );
    world.queueUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: 'inbox' }))).QueueUrl ?? '';
    const { Attributes } = await world.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: world.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await world.sns.send(
      new SubscribeCommand({ TopicArn: world.topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
    );
    Object.assign(state, { stack, admin, world });
  });
  const functionId = (prefix: string) => logicalId(template, 'AWS::Lambda::Function', prefix);
  return {
    get stack() {
      return state.stack;
    },
    get admin() {
      return state.admin;
    },
    get world() {
      return state.world;
    },
    get answererEndpoint() {
      return answerer?.endpoint ?? '';
    },
    get lastAccessed() {
      return answerer?.lastAccessed ?? {};
    },
    set lastAccessed(uses) {
      if (answerer) answerer.lastAccessed = uses;
    },
    get enforcer() {
      return state.enforcer;
    },
    invoke: (prefix, entry, events, run) =>
      state.stack.invoke(functionId(prefix), entry, state.admin, state.enforcer, events, run),
    expectEveryCallAllowed: () => {
      expect(state.enforcer.unmapped).toEqual([]);
      expect(state.enforcer.denials).toEqual([]);
    },
    functionId,
    createExecutionRole: async (tags) => {
      await state.world.iam.send(
        new CreateRoleCommand({
          RoleName: CONSOLE_ROLE_NAME,
          Path: '/service-role/',
          AssumeRolePolicyDocument: SAGEMAKER_TRUST,
          Tags: tags,
        }),
      );
    },
  };
}
