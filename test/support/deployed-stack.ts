/**
 * The synthesized template as the test's credentials. A stack is synthesized (no bundling), each
 * function's role is read from it (its inline AWS::IAM::Policy resources and managed policy ARNs),
 * the intrinsics are resolved against what the test created on the server (Partition, AccountId,
 * Region; Ref and GetAtt of the topic, tables, queue, key...), and the role is created on moto under
 * the name CloudFormation would give it. The real Lambda entry module then runs in-process with that
 * function's environment from the template and the credentials of an AssumeRole of that role, so
 * with moto's IAM enforcement on, a call the template does not allow fails the test.
 *
 * moto's evaluator matches few resource ARNs and no conditions or resource policies: every call is
 * sent through test/support/iam-enforcer.ts, which decides it with the IAM simulator against the
 * template's policies (resource policies from {@link DeployedStack.resourcePolicies} included).
 */
import { randomUUID } from 'node:crypto';
import { App } from 'aws-cdk-lib';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { vi } from 'vitest';
import type { RemediatorStackProps } from '../../lib/remediator-stack.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';
import type { MemberAccountForwarderProps } from '../../lib/member-account-forwarder.js';
import { MemberAccountStack } from '../../lib/member-account-forwarder.js';
import { lambdaContext } from '../helpers/lambda.js';
import type { IamEnforcer, Principal } from './iam-enforcer.js';
import { MOTO_ACCOUNT } from './moto.js';

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
}
export interface Template {
  readonly Resources: Record<string, Resource>;
}

/** What a logical id stands for once created: its `Ref` and its `Fn::GetAtt` attributes. */
export interface Physical {
  readonly ref: string;
  readonly attributes?: Record<string, string>;
}

export interface StackEnv {
  readonly account: string;
  readonly region: string;
}

export const STACK_NAME = 'SageMakerIamRemediator';

/** The user who creates the stack's resources on the server and assumes its roles. */
export const ADMINISTRATOR = 'administrator';

/** The deployable stack's template, synthesized without bundling (the handler runs from source). */
export function synthesize(props: RemediatorStackProps, env: StackEnv = HOME): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new RemediatorStack(app, STACK_NAME, { ...props, env });
  return app.synth().getStackByName(STACK_NAME).template as Template;
}

/** The member-account stack's template (bootstrapless, as a StackSet deploys it). */
export function synthesizeMember(forwarder: MemberAccountForwarderProps, env: StackEnv): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new MemberAccountStack(app, MEMBER_STACK_NAME, { forwarder, env });
  return app.synth().getStackByName(MEMBER_STACK_NAME).template as Template;
}

export const MEMBER_STACK_NAME = 'SageMakerIamRemediatorMember';

export const HOME: StackEnv = { account: MOTO_ACCOUNT, region: 'us-east-1' };

/** The one logical id of `type` whose id starts with `prefix` (CDK appends a hash). */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`${ids.length} ${type} resources named ${prefix}*`);
  return ids[0] ?? '';
}

/** Credentials as the SDK's environment provider reads them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A Lambda entry module: the handler CloudFormation points the function at. */
type EntryModule = {
  handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
};

export class DeployedStack {
  private readonly physical: Record<string, Physical> = {};
  /** Resource policies of resources outside this template, by ARN: another stack's role trust. */
  public readonly externalResourcePolicies = new Map<string, unknown>();

  public constructor(
    public readonly template: Template,
    public readonly env: StackEnv = HOME,
  ) {}

  /** Records what the test created for a logical id. */
  public provide(id: string, physical: Physical): this {
    if (!(id in this.template.Resources)) throw new Error(`no resource ${id} in the template`);
    this.physical[id] = physical;
    return this;
  }

  /** The template value with every intrinsic resolved; an unknown reference throws. */
  public resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (!value || typeof value !== 'object') return value;
    const object = value as Json;
    if ('Ref' in object) return this.ref(String(object.Ref));
    if ('Fn::GetAtt' in object) {
      const [id = '', attribute = ''] = object['Fn::GetAtt'] as string[];
      const resolved = this.physical[id]?.attributes?.[attribute];
      if (resolved === undefined) throw new Error(`the test did not create ${id} (GetAtt ${attribute})`);
      return resolved;
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(this.resolve(part))).join(separator);
    }
    const intrinsic = Object.keys(object).find((key) => key.startsWith('Fn::'));
    if (intrinsic) throw new Error(`${intrinsic} is not resolved by the test`);
    return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, this.resolve(item)]));
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': this.env.account,
      'AWS::Region': this.env.region,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': STACK_NAME,
    };
    const resolved = pseudo[id] ?? this.physical[id]?.ref;
    if (resolved === undefined) throw new Error(`the test did not create ${id} (Ref)`);
    return resolved;
  }

  /** The inline policies attached to a role (by AWS::IAM::Policy resources), resolved, by logical id. */
  public inlinePolicies(roleId: string): Record<string, Json> {
    const inline = (this.template.Resources[roleId]?.Properties?.Policies ?? []) as {
      PolicyName: string;
      PolicyDocument: unknown;
    }[];
    const attached = Object.entries(this.template.Resources).filter(
      ([, resource]) =>
        resource.Type === 'AWS::IAM::Policy' &&
        ((resource.Properties?.Roles ?? []) as unknown[]).some(
          (role) => (role as { Ref?: string }).Ref === roleId,
        ),
    );
    return Object.fromEntries([
      ...inline.map((policy) => [policy.PolicyName, this.resolve(policy.PolicyDocument) as Json]),
      ...attached.map(([id, resource]) => [id, this.resolve(resource.Properties?.PolicyDocument) as Json]),
    ]);
  }

  /**
   * Creates the role `roleId` on the server as CloudFormation would (a generated name under the
   * template's path), with its inline and managed policies, and records it. Returns its ARN.
   */
  public async createRole(iam: IAMClient, roleId: string): Promise<string> {
    const properties = this.template.Resources[roleId]?.Properties ?? {};
    const roleName = (properties.RoleName as string | undefined) ?? `${STACK_NAME}-${roleId}`.slice(0, 64);
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        Path: properties.Path as string | undefined,
        // The template trusts Lambda; moto's AssumeRole needs the caller's exact ARN to let the test in.
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: {
                Service: 'lambda.amazonaws.com',
                AWS: `arn:aws:iam::${this.env.account}:user/${ADMINISTRATOR}`,
              },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    const arn = Role?.Arn ?? '';
    this.provide(roleId, { ref: roleName, attributes: { Arn: arn, RoleId: Role?.RoleId ?? '' } });
    return arn;
  }

  /** Puts the role's policies from the template (after every resource they name was provided). */
  public async attachPolicies(iam: IAMClient, roleId: string): Promise<void> {
    const roleName = this.ref(roleId);
    for (const [name, document] of Object.entries(this.inlinePolicies(roleId)))
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: name,
          PolicyDocument: JSON.stringify(document),
        }),
      );
    const managed = (this.template.Resources[roleId]?.Properties?.ManagedPolicyArns ?? []) as unknown[];
    for (const arn of managed)
      await iam.send(
        new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: String(this.resolve(arn)) }),
      );
  }

  /** The function's role logical id and its environment from the template, resolved. */
  public functionOf(functionId: string): { roleId: string; environment: Record<string, string> } {
    const properties = this.template.Resources[functionId]?.Properties ?? {};
    const [roleId = ''] = (properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'];
    const variables = (properties.Environment as { Variables?: Json } | undefined)?.Variables ?? {};
    return { roleId, environment: this.resolve(variables) as Record<string, string> };
  }

  /** The resource policies the template gives its resources, by resource ARN: topic and key policies. */
  public resourcePolicies(): Map<string, unknown> {
    const policies = new Map<string, unknown>(this.externalResourcePolicies);
    for (const resource of Object.values(this.template.Resources)) {
      if (resource.Type === 'AWS::SNS::TopicPolicy')
        for (const topic of (resource.Properties?.Topics ?? []) as unknown[])
          policies.set(String(this.resolve(topic)), this.resolve(resource.Properties?.PolicyDocument));
    }
    for (const [id, resource] of Object.entries(this.template.Resources))
      if (resource.Type === 'AWS::KMS::Key' && this.physical[id])
        policies.set(String(this.physical[id].attributes?.Arn), this.resolve(resource.Properties?.KeyPolicy));
    return policies;
  }

  /** The role `roleId` as the enforcer decides for it: the template's policies, resource policies included. */
  public principalOf(roleId: string): Principal {
    const resourcePolicies = this.resourcePolicies();
    return {
      roleArn: String(this.physical[roleId]?.attributes?.Arn),
      sessionArn: `arn:aws:sts::${this.env.account}:assumed-role/${this.ref(roleId)}/lambda`,
      identityPolicies: this.inlinePolicies(roleId),
      resourcePolicyOf: (resource) => resourcePolicies.get(resource),
    };
  }

  /**
   * Runs the real entry module of `functionId` once per event, as deployed: the template's
   * environment, the credentials of an AssumeRole of its role (by `caller`), a fresh module load, and
   * every call sent through `enforcer`, which decides it against the role's policies in the template.
   */
  public async invoke(
    functionId: string,
    entry: string,
    caller: Credentials,
    enforcer: IamEnforcer,
    events: readonly unknown[],
  ): Promise<unknown[]> {
    const { roleId, environment } = this.functionOf(functionId);
    const roleArn = String(this.physical[roleId]?.attributes?.Arn);
    const credentials = await assumeRole(caller, roleArn, this.env.region);
    enforcer.principals.set(credentials.accessKeyId, this.principalOf(roleId));
    const saved = { ...process.env };
    Object.assign(process.env, environment, {
      AWS_ENDPOINT_URL: enforcer.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_REGION: this.env.region,
      AWS_DEFAULT_REGION: this.env.region,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    try {
      vi.resetModules();
      const module = (await import(entry)) as EntryModule;
      const context = {
        ...lambdaContext(),
        invokedFunctionArn: String(this.physical[functionId]?.attributes?.Arn),
      };
      const results: unknown[] = [];
      for (const event of events) results.push(await module.handler(event, context));
      return results;
    } finally {
      for (const key of Object.keys(process.env))
        if (!(key in saved)) Reflect.deleteProperty(process.env, key);
      Object.assign(process.env, saved);
    }
  }
}

/** An AssumeRole of `roleArn` with `caller`'s credentials. */
export async function assumeRole(caller: Credentials, roleArn: string, region: string): Promise<Credentials> {
  const { Credentials: c } = await new STSClient({ region, credentials: caller }).send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'lambda' }),
  );
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken,
  };
}

/**
 * Creates on the server what the functions' roles name, from the template: keys, topics, queues,
 * tables, log groups, the functions' names and every role with its policies, and records each. An
 * administrator's `caller` credentials create them (IAM enforcement may already be on).
 */
export async function deployOnMoto(
  template: Template,
  caller: Credentials,
  env: StackEnv = HOME,
): Promise<DeployedStack> {
  const stack = new DeployedStack(template, env);
  const client = { region: env.region, credentials: caller };
  const iam = new IAMClient(client);
  const { account, region } = env;
  const named = (id: string) => `${STACK_NAME}-${id}`;
  const create: Record<string, (id: string, properties: Json) => Promise<Physical>> = {
    // No handler calls KMS (SNS encrypts): an id of the key's shape.
    'AWS::KMS::Key': async () => {
      const keyId = randomUUID();
      return { ref: keyId, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${keyId}` } };
    },
    'AWS::SNS::Topic': async (id) => {
      const { TopicArn = '' } = await new SNSClient(client).send(new CreateTopicCommand({ Name: named(id) }));
      return { ref: TopicArn, attributes: { TopicArn, TopicName: named(id) } };
    },
    'AWS::SQS::Queue': async (id) => {
      const sqs = new SQSClient(client);
      const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: named(id) }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      return { ref: QueueUrl, attributes: { Arn: Attributes?.QueueArn ?? '', QueueName: named(id) } };
    },
    'AWS::DynamoDB::Table': async (id, properties) => {
      const { TableDescription } = await new DynamoDBClient(client).send(
        new CreateTableCommand({
          TableName: named(id),
          KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
          AttributeDefinitions:
            properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
          GlobalSecondaryIndexes:
            properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return { ref: named(id), attributes: { Arn: TableDescription?.TableArn ?? '' } };
    },
    // Logs are written by the Lambda service, not by the handler: names only.
    'AWS::Logs::LogGroup': async (id) => ({
      ref: named(id),
      attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${named(id)}:*` },
    }),
    'AWS::Lambda::Function': async (id, properties) => {
      const name = (properties.FunctionName as string | undefined) ?? named(id);
      return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` } };
    },
  };
  const resources = Object.entries(template.Resources);
  for (const [id, resource] of resources) {
    const creator = create[resource.Type];
    if (creator) stack.provide(id, await creator(id, resource.Properties ?? {}));
    else if (resource.Type === 'AWS::IAM::Role') await stack.createRole(iam, id);
  }
  for (const [id, resource] of resources)
    if (resource.Type === 'AWS::Lambda::Function')
      await stack.attachPolicies(iam, stack.functionOf(id).roleId);
  return stack;
}
