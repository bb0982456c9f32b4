/**
 * A test-only front for the moto server that answers the one IAM call moto lacks,
 * SimulatePrincipalPolicy, from a real policy evaluator (@cloud-copilot/iam-simulate, AGPL-3.0, a
 * devDependency used only in tests) over the role's policies as moto holds them: inline, attached and
 * boundary. Everything else is passed through to moto unchanged. The answer is the IAM query
 * protocol's XML, shaped as AWS shapes it, so the SDK parses it like a real one.
 *
 * It also closes two gaps of moto's cross-account reads that pre-flight relies on: S3's
 * `ExpectedBucketOwner` (moto ignores it: the answerer refuses, as S3 does, a bucket the test says
 * another account owns), and ECR's `registryId` (moto looks in the caller's registry: the answerer asks
 * moto as the registry's account, through STS).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { ECRClient, GetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { EvaluationResult, Simulation } from '@cloud-copilot/iam-simulate';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { MOTO_ACCOUNT } from './moto.js';

export interface SimulateAnswerer {
  /** Point an IAMClient here; every other call reaches moto as if sent there. */
  readonly endpoint: string;
  /** Service control policies in force for the account (moto has no Organizations policies to read). */
  serviceControlPolicies: Record<string, unknown>[];
  /** The owner of each bucket that is not in moto's default account, for `ExpectedBucketOwner`. */
  bucketOwners: Record<string, string>;
  /**
   * What IAM's last-accessed report says of each role (by ARN), which moto does not implement: the
   * services and actions used, and when. A role not listed used nothing.
   */
  lastAccessed: Record<string, readonly LastUse[]>;
  /** How many SimulatePrincipalPolicy calls were answered. */
  readonly answered: () => number;
  stop(): Promise<void>;
}

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** One service a role used, and the actions of it IAM tracks, with when (ISO). */
export interface LastUse {
  readonly namespace: string;
  readonly at: string;
  readonly actions?: Readonly<Record<string, string>>;
}

/**
 * The answers moto lacks for the last-accessed report: the job id is the role's ARN (base64url), and
 * the report is complete at once, in the query protocol's XML.
 */
function lastAccessedXml(params: URLSearchParams, uses: Record<string, readonly LastUse[]>): string {
  const action = params.get('Action') ?? '';
  const wrap = (inner: string) =>
    `<${action}Response xmlns="${IAM_NAMESPACE}"><${action}Result>${inner}</${action}Result>` +
    `<ResponseMetadata><RequestId>last-accessed</RequestId></ResponseMetadata></${action}Response>`;
  if (action === 'GenerateServiceLastAccessedDetails')
    return wrap(`<JobId>${Buffer.from(params.get('Arn') ?? '').toString('base64url')}</JobId>`);
  const roleArn = Buffer.from(params.get('JobId') ?? '', 'base64url').toString('utf8');
  const services = (uses[roleArn] ?? []).map(
    (use) =>
      `<member><ServiceName>${xmlEscape(use.namespace)}</ServiceName><ServiceNamespace>${xmlEscape(use.namespace)}</ServiceNamespace>` +
      `<LastAuthenticated>${use.at}</LastAuthenticated><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities>` +
      `<TrackedActionsLastAccessed>${Object.entries(use.actions ?? {})
        .map(
          ([name, at]) =>
            `<member><ActionName>${xmlEscape(name)}</ActionName><LastAccessedTime>${at}</LastAccessedTime></member>`,
        )
        .join('')}</TrackedActionsLastAccessed></member>`,
  );
  const now = new Date().toISOString();
  return wrap(
    `<JobStatus>COMPLETED</JobStatus><JobType>ACTION_LEVEL</JobType><JobCreationDate>${now}</JobCreationDate>` +
      `<JobCompletionDate>${now}</JobCompletionDate><IsTruncated>false</IsTruncated>` +
      `<ServicesLastAccessed>${services.join('')}</ServicesLastAccessed>`,
  );
}

const LAST_ACCESSED_ACTIONS = new Set([
  'GenerateServiceLastAccessedDetails',
  'GetServiceLastAccessedDetails',
]);

const xmlEscape = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/** `Prefix.member.N` (and `Prefix.member.N.Suffix`) values of a query request, in order. */
function members(params: URLSearchParams, prefix: string, suffix = ''): string[] {
  const values: string[] = [];
  for (let n = 1; params.has(`${prefix}.member.${n}${suffix}`); n += 1)
    values.push(params.get(`${prefix}.member.${n}${suffix}`) ?? '');
  return values;
}

export const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

/** What an SCP alone is evaluated against: an identity that allows everything. */
const ALLOW_ALL = {
  name: 'allow-all',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

/**
 * Without a ResourcePolicy parameter IAM's simulator decides on the principal's policies alone. The
 * evaluator always weighs a resource policy (a KMS key needs its key policy), so it gets the one
 * that leaves the decision to the account's IAM policies: the default key policy's statement.
 */
const delegateTo = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: '*', Resource: '*' },
  ],
});

/**
 * The unvalidated engine loads a resource policy without a name, which its analysis reads: hand it
 * the already-loaded form (iam-policy's validated policy) that carries one.
 */
const named = (policy: unknown) => ({
  __validated: true,
  policyDocument: policy,
  metadata: { name: 'resource-policy' },
});

const DECISIONS: Record<EvaluationResult, string> = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
};

/** The role's identity and boundary policies, read from moto as any client would read them. */
async function rolePolicies(iam: IAMClient, roleName: string) {
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  const document = async (arn: string) => {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: Policy?.DefaultVersionId }),
    );
    return JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? '{}')) as unknown;
  };
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  const inline = await Promise.all(
    PolicyNames.map(async (name) => {
      const { PolicyDocument = '{}' } = await iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
      );
      return { name, policy: JSON.parse(decodeURIComponent(PolicyDocument)) as unknown };
    }),
  );
  const { AttachedPolicies = [] } = await iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
  );
  const attached = await Promise.all(
    AttachedPolicies.map(async (p) => ({
      name: p.PolicyName ?? '',
      policy: await document(p.PolicyArn ?? ''),
    })),
  );
  const boundaryArn = Role?.PermissionsBoundary?.PermissionsBoundaryArn;
  return {
    identity: [...inline, ...attached],
    boundary: boundaryArn ? [{ name: 'boundary', policy: await document(boundaryArn) }] : undefined,
  };
}

/**
 * An administrator's credentials in `account` of the moto server: its own test keys for the default
 * account, an AssumeRole of the organization's access role for any other (moto serves one account per key).
 */
export async function adminCredentialsIn(motoEndpoint: string, account: string) {
  const testing = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  if (account === MOTO_ACCOUNT) return testing;
  const { Credentials: c } = await new STSClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: testing,
  }).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'simulate-answerer',
    }),
  );
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken,
  };
}

async function simulateXml(motoEndpoint: string, params: URLSearchParams, scps: Record<string, unknown>[]) {
  const principal = params.get('PolicySourceArn') ?? '';
  const account = /::(\d{12}):/.exec(principal)?.[1] ?? '';
  const roleName = principal.slice(principal.lastIndexOf('/') + 1);
  const iam = new IAMClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: await adminCredentialsIn(motoEndpoint, account),
  });
  const policies = await rolePolicies(iam, roleName);
  const names = members(params, 'ContextEntries', '.ContextKeyName');
  const context = Object.fromEntries(
    names.map((name, index) => {
      const values = members(params, `ContextEntries.member.${index + 1}.ContextKeyValues`);
      const type = params.get(`ContextEntries.member.${index + 1}.ContextKeyType`) ?? 'string';
      return [name, type.endsWith('List') ? values : (values[0] ?? '')];
    }),
  );
  const resourcePolicy = params.get('ResourcePolicy');
  const results: string[] = [];
  for (const action of members(params, 'ActionNames')) {
    for (const resource of members(params, 'ResourceArns')) {
      // Unvalidated, as IAM's own simulator: it matches ARNs as strings and does not check that a
      // resource is of a type the action takes. Each policy type is also evaluated alone for its detail.
      const scpSets = scps.map((policy, n) => ({
        orgIdentifier: `scp-${n}`,
        policies: [{ name: `scp-${n}`, policy }],
      }));
      const decide = (identityPolicies: { name: string; policy: unknown }[], others: Partial<Simulation>) =>
        runUnsafeSimulation(
          {
            identityPolicies,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: named(
              resourcePolicy ? (JSON.parse(resourcePolicy) as unknown) : delegateTo(account),
            ),
            ...others,
            request: {
              principal,
              action,
              resource: { accountId: /:(\d{12}):/.exec(resource)?.[1] ?? account, resource },
              contextVariables: context,
            },
          },
          {},
        );
      const overall = decide(policies.identity, {
        permissionBoundaryPolicies: policies.boundary,
        serviceControlPolicies: scpSets,
      });
      const boundary = policies.boundary ? decide(policies.boundary, {}) : 'Allowed';
      const organizations =
        scps.length > 0 ? decide([ALLOW_ALL], { serviceControlPolicies: scpSets }) : 'Allowed';
      results.push(
        [
          '<member>',
          `<EvalActionName>${xmlEscape(action)}</EvalActionName>`,
          `<EvalResourceName>${xmlEscape(resource)}</EvalResourceName>`,
          `<EvalDecision>${DECISIONS[overall]}</EvalDecision>`,
          '<MatchedStatements/>',
          '<MissingContextValues/>',
          `<OrganizationsDecisionDetail><AllowedByOrganizations>${organizations === 'Allowed'}</AllowedByOrganizations></OrganizationsDecisionDetail>`,
          `<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>${boundary === 'Allowed'}</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>`,
          '</member>',
        ].join(''),
      );
    }
  }
  return (
    `<SimulatePrincipalPolicyResponse xmlns="${IAM_NAMESPACE}"><SimulatePrincipalPolicyResult>` +
    `<IsTruncated>false</IsTruncated><EvaluationResults>${results.join('')}</EvaluationResults>` +
    `</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>simulate-answerer</RequestId></ResponseMetadata>` +
    '</SimulatePrincipalPolicyResponse>'
  );
}

/** Passes a request to moto and its answer back, headers and status included. */
export async function proxy(
  motoEndpoint: string,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      ['host', 'connection', 'content-length'].includes(name) || value === undefined
        ? []
        : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
  const answer = await fetch(`${motoEndpoint}${request.url ?? '/'}`, {
    method: request.method,
    headers,
    body: ['GET', 'HEAD'].includes(request.method ?? 'GET') ? undefined : body,
  });
  response.writeHead(
    answer.status,
    Object.fromEntries(
      [...answer.headers].filter(([name]) => name !== 'content-encoding' && name !== 'transfer-encoding'),
    ),
  );
  response.end(Buffer.from(await answer.arrayBuffer()));
}

/** S3's answer to a request whose ExpectedBucketOwner is not the bucket's owner. */
function refuseOtherOwner(
  request: IncomingMessage,
  owners: Record<string, string>,
  response: ServerResponse,
) {
  const expected = request.headers['x-amz-expected-bucket-owner'];
  const bucket = /^\/([^/?]+)/.exec(request.url ?? '')?.[1] ?? '';
  const owner = owners[bucket];
  if (typeof expected !== 'string' || owner === undefined || owner === expected) return false;
  response.writeHead(403, { 'content-type': 'application/xml' });
  response.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
  );
  return true;
}

/** GetRepositoryPolicy of another account's registry, asked of moto as that account. */
async function otherRegistryPolicy(motoEndpoint: string, body: Buffer, response: ServerResponse) {
  const { registryId, repositoryName } = JSON.parse(body.toString('utf8')) as {
    registryId: string;
    repositoryName: string;
  };
  const local = { endpoint: motoEndpoint, region: 'us-east-1' };
  const { Credentials: c } = await new STSClient({
    ...local,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  }).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${registryId}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'simulate-answerer',
    }),
  );
  const ecr = new ECRClient({
    ...local,
    credentials: {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    },
  });
  try {
    const answer = await ecr.send(new GetRepositoryPolicyCommand({ registryId, repositoryName }));
    const { $metadata: _metadata, ...fields } = answer;
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(fields));
  } catch (error) {
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify({ __type: (error as Error).name, message: (error as Error).message }));
  }
}

/** Starts the answerer on a free local port in front of the moto server at `motoEndpoint`. */
export async function startSimulateAnswerer(motoEndpoint: string): Promise<SimulateAnswerer> {
  let answered = 0;
  const state = {
    serviceControlPolicies: [] as Record<string, unknown>[],
    bucketOwners: {} as Record<string, string>,
    lastAccessed: {} as Record<string, readonly LastUse[]>,
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const params = new URLSearchParams(body.toString('utf8'));
      if (request.method === 'POST' && params.get('Action') === 'SimulatePrincipalPolicy') {
        answered += 1;
        const xml = await simulateXml(motoEndpoint, params, state.serviceControlPolicies);
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(xml);
        return;
      }
      if (request.method === 'POST' && LAST_ACCESSED_ACTIONS.has(params.get('Action') ?? '')) {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(lastAccessedXml(params, state.lastAccessed));
        return;
      }
      if (refuseOtherOwner(request, state.bucketOwners, response)) return;
      const target = request.headers['x-amz-target'];
      if (target === 'AmazonEC2ContainerRegistry_V20150921.GetRepositoryPolicy') {
        const { registryId } = JSON.parse(body.toString('utf8')) as { registryId?: string };
        if (registryId && registryId !== MOTO_ACCOUNT) {
          await otherRegistryPolicy(motoEndpoint, body, response);
          return;
        }
      }
      await proxy(motoEndpoint, request, body, response);
    })().catch((error: Error) => {
      // An IAM-shaped error, so the SDK reports the message instead of a parse failure.
      response.writeHead(500, { 'content-type': 'text/xml' });
      response.end(
        `<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>Receiver</Type><Code>SimulateAnswererError</Code>` +
          `<Message>${xmlEscape(error.message)}</Message></Error><RequestId>simulate-answerer</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get serviceControlPolicies() {
      return state.serviceControlPolicies;
    },
    set serviceControlPolicies(policies) {
      state.serviceControlPolicies = policies;
    },
    get bucketOwners() {
      return state.bucketOwners;
    },
    get lastAccessed() {
      return state.lastAccessed;
    },
    set lastAccessed(uses) {
      state.lastAccessed = uses;
    },
    set bucketOwners(owners) {
      state.bucketOwners = owners;
    },
    answered: () => answered,
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
