/**
 * IAM enforcement for the calls moto cannot judge. moto's evaluator matches resource ARNs for S3,
 * SQS, IAM and STS only (an SNS or DynamoDB statement naming its topic or table never matches) and
 * treats an unmet condition of an Allow as a Deny. This front decides every request signed with
 * credentials it was told about with the IAM simulator (@cloud-copilot/iam-simulate, AGPL-3.0, a
 * devDependency used only in tests) against that principal's policies from the template, resource
 * policies and the role tags IAM would put in the request context included, and answers a denial in
 * the service's own protocol. Every denial and every request it cannot map to an IAM action and
 * resource is recorded: a test asserts both lists are empty, so a call the template does not allow
 * fails the test even when the handler swallows the error.
 *
 * The action and resource of each request are written here from the service authorization reference,
 * independently of the code under test.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { EvaluationResult } from '@cloud-copilot/iam-simulate';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { adminCredentialsIn, proxy, readBody } from './simulate-answerer.js';

/** Whom a set of credentials stands for, and what may decide its requests. */
export interface Principal {
  /** The role ARN (with its path). */
  readonly roleArn: string;
  /** The session ARN IAM would name in a denial. */
  readonly sessionArn: string;
  readonly identityPolicies: Record<string, unknown>;
  /** The resource policy of a resource ARN, where it has one (a topic policy, a role's trust). */
  readonly resourcePolicyOf?: (resource: string) => unknown;
}

/** One request as IAM sees it. */
export interface Authorization {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

export interface IamEnforcer {
  readonly endpoint: string;
  /** Credentials (by access key id) whose requests are decided here. */
  readonly principals: Map<string, Principal>;
  /**
   * Roles (by ARN) whose credentials, when an AssumeRole through here returns them, join
   * {@link principals}: a member account's role assumed by the central function.
   */
  readonly roles: Map<string, Principal>;
  /** Context keys every request carries, e.g. `aws:ResourceOrgID` when all accounts are one organization. */
  readonly context: Record<string, string>;
  /** `action on resource` of each request the simulator denied. */
  readonly denials: string[];
  /** Requests of known principals that no rule below maps to an action and a resource. */
  readonly unmapped: string[];
  /** Every request decided here, allowed or not: `action on resource`. */
  readonly decided: string[];
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;
type Mapper = (request: {
  readonly region: string;
  readonly account: string;
  readonly params: URLSearchParams;
  readonly json: Json;
  readonly path: string;
  readonly method: string;
  /** The role of that name in the caller's account, and its tags. */
  readonly roleArnOf: (roleName: string) => Promise<{ arn: string; tags: Record<string, string> }>;
}) => Promise<Authorization | undefined> | Authorization | undefined;

const SAGEMAKER_NAMES: Record<string, readonly [field: string, resourceType: string]> = {
  DescribeTrainingJob: ['TrainingJobName', 'training-job'],
  StopTrainingJob: ['TrainingJobName', 'training-job'],
  DescribeProcessingJob: ['ProcessingJobName', 'processing-job'],
  StopProcessingJob: ['ProcessingJobName', 'processing-job'],
  DescribeTransformJob: ['TransformJobName', 'transform-job'],
  StopTransformJob: ['TransformJobName', 'transform-job'],
  DescribeHyperParameterTuningJob: ['HyperParameterTuningJobName', 'hyper-parameter-tuning-job'],
  StopHyperParameterTuningJob: ['HyperParameterTuningJobName', 'hyper-parameter-tuning-job'],
  DescribeModel: ['ModelName', 'model'],
  DescribeEndpoint: ['EndpointName', 'endpoint'],
  DescribeEndpointConfig: ['EndpointConfigName', 'endpoint-config'],
};

/** IAM calls on a role named by `RoleName`, and the condition keys IAM adds for it. */
const ROLE_ACTIONS = new Set([
  'GetRole',
  'GetRolePolicy',
  'ListRolePolicies',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'ListAttachedRolePolicies',
]);

const UNSCOPED_IAM_ACTIONS = new Set(['ListRoles', 'GetServiceLastAccessedDetails']);

const tagContext = (tags: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(tags).flatMap(([key, value]) => [
      [`iam:ResourceTag/${key}`, value],
      [`aws:ResourceTag/${key}`, value],
    ]),
  );

const MAPPERS: Record<string, Mapper> = {
  sns: ({ params }) =>
    params.get('Action') === 'Publish'
      ? { action: 'sns:Publish', resource: params.get('TopicArn') ?? '', context: {} }
      : undefined,
  dynamodb: ({ json, region, account, params }) => {
    const operation = params.get('X-Amz-Target')?.split('.')[1] ?? '';
    return typeof json.TableName === 'string'
      ? {
          action: `dynamodb:${operation}`,
          // A Query or Scan of an index is authorized on the index's ARN, not the table's.
          resource: `arn:aws:dynamodb:${region}:${account}:table/${json.TableName}${
            typeof json.IndexName === 'string' ? `/index/${json.IndexName}` : ''
          }`,
          context: {},
        }
      : undefined;
  },
  sagemaker: ({ json, region, account, params }) => {
    const operation = params.get('X-Amz-Target')?.split('.')[1] ?? '';
    const [field, type] = SAGEMAKER_NAMES[operation] ?? [];
    return field && typeof json[field] === 'string'
      ? {
          action: `sagemaker:${operation}`,
          resource: `arn:aws:sagemaker:${region}:${account}:${type}/${String(json[field]).toLowerCase()}`,
          context: {},
        }
      : undefined;
  },
  iam: async ({ params, roleArnOf }) => {
    const operation = params.get('Action') ?? '';
    if (operation === 'SimulatePrincipalPolicy')
      return {
        action: 'iam:SimulatePrincipalPolicy',
        resource: params.get('PolicySourceArn') ?? '',
        context: {},
      };
    // The IAM service reference lists no resource type for these: IAM decides them on `*`.
    if (UNSCOPED_IAM_ACTIONS.has(operation))
      return { action: `iam:${operation}`, resource: '*', context: {} };
    if (operation === 'GenerateServiceLastAccessedDetails') {
      const role = await roleArnOf(/:role\/(?:.*\/)?([^/]+)$/.exec(params.get('Arn') ?? '')?.[1] ?? '');
      return { action: `iam:${operation}`, resource: role.arn, context: tagContext(role.tags) };
    }
    if (!ROLE_ACTIONS.has(operation)) return undefined;
    const role = await roleArnOf(params.get('RoleName') ?? '');
    return { action: `iam:${operation}`, resource: role.arn, context: tagContext(role.tags) };
  },
  sts: ({ params }) => {
    const operation = params.get('Action') ?? '';
    if (operation === 'GetCallerIdentity')
      return { action: 'sts:GetCallerIdentity', resource: '*', context: {} };
    return operation === 'AssumeRole'
      ? { action: 'sts:AssumeRole', resource: params.get('RoleArn') ?? '', context: {} }
      : undefined;
  },
  s3: ({ path, method, params, account }) => {
    const bucket = /^\/([^/?]+)/.exec(path)?.[1];
    return bucket && method === 'GET' && params.has('encryption')
      ? {
          action: 's3:GetEncryptionConfiguration',
          resource: `arn:aws:s3:::${bucket}`,
          // S3 ARNs carry no account: S3 puts the owner's here (the test's buckets are the account's).
          context: { 's3:ResourceAccount': account },
        }
      : undefined;
  },
  ecr: ({ json, region, params }) => {
    const operation = params.get('X-Amz-Target')?.split('.')[1] ?? '';
    return operation === 'GetRepositoryPolicy' && typeof json.repositoryName === 'string'
      ? {
          action: 'ecr:GetRepositoryPolicy',
          resource: `arn:aws:ecr:${region}:${String(json.registryId ?? '')}:repository/${json.repositoryName}`,
          context: {},
        }
      : undefined;
  },
};

const JSON_SERVICES = new Set(['dynamodb', 'sagemaker', 'ecr']);

/**
 * Another account's resource policy is not the template's: one that lets the caller's account in,
 * so that only the template's identity policies decide.
 */
const trustingAccount = (resourceAccount: string, account: string) =>
  resourceAccount === account
    ? undefined
    : {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: '*', Resource: '*' },
        ],
      };

/** The simulator's decision, resource policy included when the resource has one. */
export async function decide(
  principal: Principal,
  request: Authorization,
  account: string,
): Promise<EvaluationResult> {
  const resourceAccount = /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(request.resource)?.[1] ?? account;
  const response = await runSimulation(
    {
      identityPolicies: Object.entries(principal.identityPolicies).map(([name, policy]) => ({
        name,
        policy,
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy:
        principal.resourcePolicyOf?.(request.resource) ?? trustingAccount(resourceAccount, account),
      request: {
        principal: principal.roleArn,
        action: request.action,
        resource: { accountId: resourceAccount, resource: request.resource },
        contextVariables: {
          'aws:PrincipalArn': principal.roleArn,
          'aws:PrincipalAccount': account,
          'aws:SecureTransport': 'true',
          ...request.context,
        },
      },
    },
    {},
  );
  if (response.resultType !== 'single')
    throw new Error(`simulator: ${JSON.stringify(response).slice(0, 500)}`);
  return response.result.analysis?.result ?? 'ImplicitlyDenied';
}

function deny(response: ServerResponse, service: string, message: string) {
  if (JSON_SERVICES.has(service)) {
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
    return;
  }
  const escaped = message.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);
  response.writeHead(403, { 'content-type': 'text/xml' });
  response.end(
    service === 's3'
      ? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${escaped}</Message></Error>`
      : `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escaped}</Message></Error><RequestId>iam-enforcer</RequestId></ErrorResponse>`,
  );
}

/** Passes an AssumeRole on and registers the access key id it returns before answering. */
async function forwardAssumeRole(
  target: string,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
  register: (accessKeyId: string) => void,
) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      ['host', 'connection', 'content-length'].includes(name) || typeof value !== 'string'
        ? []
        : [[name, value]],
    ),
  );
  const answer = await fetch(`${target}${request.url ?? '/'}`, { method: 'POST', headers, body });
  const text = await answer.text();
  const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
  if (accessKeyId) register(accessKeyId);
  response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
  response.end(text);
}

/** Starts the front on a free port, before `target` (moto, or a front of it). */
export async function startIamEnforcer(target: string): Promise<IamEnforcer> {
  const roleArnOf = (account: string) => async (roleName: string) => {
    const admin = new IAMClient({
      endpoint: target,
      region: 'us-east-1',
      credentials: await adminCredentialsIn(target, account),
    });
    const { Role } = await admin.send(new GetRoleCommand({ RoleName: roleName }));
    return {
      arn: Role?.Arn ?? `arn:aws:iam::${account}:role/${roleName}`,
      tags: Object.fromEntries((Role?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  };
  const state = {
    principals: new Map<string, Principal>(),
    roles: new Map<string, Principal>(),
    context: {} as Record<string, string>,
    denials: [] as string[],
    unmapped: [] as string[],
    decided: [] as string[],
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const authorization = String(request.headers.authorization ?? '');
      const [, keyId = '', region = 'us-east-1', service = ''] =
        /Credential=([^/]+)\/\d+\/([^/]+)\/([^/]+)\//.exec(authorization) ?? [];
      const principal = state.principals.get(keyId);
      if (principal) {
        const account = /::(\d{12}):/.exec(principal.roleArn)?.[1] ?? '';
        const url = new URL(request.url ?? '/', 'http://local');
        const text = body.toString('utf8');
        const params = new URLSearchParams(JSON_SERVICES.has(service) ? '' : text);
        for (const [key, value] of url.searchParams) params.set(key, value);
        const amzTarget = request.headers['x-amz-target'];
        if (typeof amzTarget === 'string') params.set('X-Amz-Target', amzTarget);
        const json = JSON_SERVICES.has(service) && text ? (JSON.parse(text) as Json) : {};
        const authorizationOf = await MAPPERS[service]?.({
          region,
          account,
          params,
          json,
          path: url.pathname,
          method: request.method ?? 'GET',
          roleArnOf: roleArnOf(account),
        });
        if (!authorizationOf) {
          state.unmapped.push(
            `${service} ${params.get('Action') ?? params.get('X-Amz-Target') ?? url.pathname}`,
          );
        } else {
          const said = `${authorizationOf.action} on ${authorizationOf.resource}`;
          state.decided.push(said);
          const asked = { ...authorizationOf, context: { ...state.context, ...authorizationOf.context } };
          if ((await decide(principal, asked, account)) !== 'Allowed') {
            state.denials.push(said);
            deny(
              response,
              service,
              `User: ${principal.sessionArn} is not authorized to perform: ${authorizationOf.action} on resource: ${authorizationOf.resource} because no identity-based policy allows the ${authorizationOf.action} action`,
            );
            return;
          }
          const assumed =
            authorizationOf.action === 'sts:AssumeRole' && state.roles.get(authorizationOf.resource);
          if (assumed) {
            await forwardAssumeRole(target, request, body, response, (key) =>
              state.principals.set(key, assumed),
            );
            return;
          }
        }
      }
      await proxy(target, request, body, response);
    })().catch((error: Error) => {
      state.unmapped.push(`error: ${error.message}`);
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(error.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    principals: state.principals,
    roles: state.roles,
    context: state.context,
    denials: state.denials,
    unmapped: state.unmapped,
    decided: state.decided,
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
