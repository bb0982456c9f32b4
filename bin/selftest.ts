/**
 * `sagemaker-iam-remediator selftest --stack NAME [--region R]`: run a minute after `cdk deploy`, in
 * the account it deployed to. It finds the stack's remediator function (and its grant cleanup), checks
 * with IAM's policy simulator (SimulatePrincipalPolicy on each function's own role) each call the
 * features enabled in its environment need, then invokes the remediator it with a bundled sample failure as a self-test: the function
 * publishes one message marked as a test and writes nothing. One line per check; it stops at the
 * first that would fail. Credentials and region come from the standard AWS chain.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContextEntry } from '@aws-sdk/client-iam';
import { UsageError } from '../lambdas/core/errors.js';
import { OPT_IN_TAG } from '../lambdas/core/guard.js';
import { selftestEventOf } from '../lambdas/core/selftest.js';
import { CLEANUP_SERVICE_NAME, SERVICE_NAME } from '../lambdas/remediator/metric-names.js';
import type { SelftestFlags } from './command-flags.js';
import { packageRoot } from './io.js';

/** The sample failure the function diagnoses; its account becomes the function's. */
const SAMPLE_EVENT = 'examples/events/training-kms-output-denied.json';
const SAMPLE_ACCOUNT = '111122223333';
/** The role name the checks stand in for an execution role: the SageMaker console's shape. */
const SAMPLE_ROLE = 'AmazonSageMaker-ExecutionRole-selftest';

/** One call the function makes, on a resource of the kind it makes it on, and why. */
export interface Check {
  readonly action: string;
  readonly resource: string;
  readonly why: string;
  readonly context?: readonly ContextEntry[];
}

interface Where {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
}

/** The context of a request on a role that carries the opt-in tag. */
const OPTED_IN: readonly ContextEntry[] = [
  {
    ContextKeyName: `iam:ResourceTag/${OPT_IN_TAG.key}`,
    ContextKeyType: 'string',
    ContextKeyValues: [OPT_IN_TAG.value],
  },
];

/** A role-name glob's sample name: what a role it opts in could be called. */
const sampleNameOf = (pattern: string): string => pattern.replaceAll('*', 'selftest').replaceAll('?', 'x');

/**
 * The calls each enabled feature needs, read from the function's environment (the variables the
 * construct sets): the rule table of this command.
 */
export function checksOf(
  environment: Readonly<Record<string, string>>,
  { partition, account, region }: Where,
): Check[] {
  const role = (name: string, path = '') => `arn:${partition}:iam::${account}:role/${path}${name}`;
  const table = (name: string) => `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
  const executionRole = role(SAMPLE_ROLE, 'service-role/');
  const checks: Check[] = [
    { action: 'sns:Publish', resource: environment.TOPIC_ARN ?? '', why: 'publish proposals' },
    {
      action: 'sagemaker:DescribeTrainingJob',
      resource: `arn:${partition}:sagemaker:${region}:${account}:training-job/selftest`,
      why: 'read a failed training job',
    },
    {
      action: 'iam:SimulatePrincipalPolicy',
      resource: executionRole,
      why: 'verify a proposal against the job role',
    },
  ];
  if (environment.IDEMPOTENCY_TABLE_NAME)
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ])
      checks.push({
        action,
        resource: table(environment.IDEMPOTENCY_TABLE_NAME),
        why: 'drop duplicate events and fold alert storms into incidents',
      });
  if (environment.PROPOSALS_TABLE_NAME)
    checks.push({
      action: 'dynamodb:PutItem',
      resource: table(environment.PROPOSALS_TABLE_NAME),
      why: 'keep proposals for approval from chat',
    });
  if (environment.AUTO_REMEDIATE?.toLowerCase() === 'true')
    checks.push(
      ...roleWriteChecks(
        environment,
        { role, executionRole },
        ['iam:ListRolePolicies', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        'attach fixes to',
      ),
    );
  if (environment.GRANTS_TABLE_NAME)
    checks.push({
      action: 'dynamodb:PutItem',
      resource: table(environment.GRANTS_TABLE_NAME),
      why: 'record why each grant was written',
    });
  if (environment.MEMBER_ROLE_NAME)
    checks.push({
      action: 'sts:AssumeRole',
      resource: role(environment.MEMBER_ROLE_NAME),
      why: 'act in member accounts through their role',
    });
  return checks;
}

/**
 * `writes` on the roles the service may write: a role of each name pattern, at the root and under a
 * path, or, without patterns, a role carrying the opt-in tag (read with GetRole first).
 */
function roleWriteChecks(
  environment: Readonly<Record<string, string>>,
  {
    role,
    executionRole,
  }: { readonly role: (name: string, path?: string) => string; readonly executionRole: string },
  writes: readonly string[],
  purpose: string,
): Check[] {
  const patterns = (environment.ROLE_NAME_PATTERNS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (patterns.length > 0)
    return patterns.flatMap((pattern) =>
      [role(sampleNameOf(pattern)), role(sampleNameOf(pattern), 'service-role/')].flatMap((resource) =>
        writes.map((action) => ({
          action,
          resource,
          why: `${purpose} roles matching ${pattern}, under any path`,
        })),
      ),
    );
  return [
    { action: 'iam:GetRole', resource: executionRole, why: `read the ${OPT_IN_TAG.key} tag` },
    ...writes.map((action) => ({
      action,
      resource: executionRole,
      why: `${purpose} roles tagged ${OPT_IN_TAG.key}=${OPT_IN_TAG.value}`,
      context: OPTED_IN,
    })),
  ];
}

/** The calls of the daily grant cleanup, read from its function's environment. */
export function cleanupChecksOf(
  environment: Readonly<Record<string, string>>,
  { partition, account, region }: Where,
): Check[] {
  const role = (name: string, path = '') => `arn:${partition}:iam::${account}:role/${path}${name}`;
  const executionRole = role(SAMPLE_ROLE, 'service-role/');
  return [
    { action: 'sns:Publish', resource: environment.TOPIC_ARN ?? '', why: 'publish the cleanup digest' },
    {
      action: 'dynamodb:UpdateItem',
      resource: `arn:${partition}:dynamodb:${region}:${account}:table/${environment.GRANTS_TABLE_NAME ?? ''}`,
      why: 'mark what the cleanup found on each record',
    },
    { action: 'iam:ListRoles', resource: '*', why: "find the service's grants" },
    ...roleWriteChecks(
      environment,
      { role, executionRole },
      ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      'remove expired grants from',
    ),
    ...(environment.REVIEW_UNUSED_DAYS
      ? [
          {
            action: 'iam:GenerateServiceLastAccessedDetails',
            resource: executionRole,
            why: 'ask IAM which grants went unused (reviewUnusedDays)',
            context: OPTED_IN,
          },
          {
            action: 'iam:GetServiceLastAccessedDetails',
            resource: '*',
            why: 'read the last-accessed report',
          },
        ]
      : []),
  ];
}

/** Checks the stack's function, printing one line per check with `write`; returns the exit code. */
export async function selftest(
  values: SelftestFlags,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Loaded only here: the other commands never need these clients.
  const [cfn, lambda, iam] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-iam'),
  ]);
  const options = { region: values.region, maxAttempts: 6 };
  const lambdaClient = new lambda.LambdaClient(options);
  const resources = await new cfn.CloudFormationClient(options)
    .send(new cfn.DescribeStackResourcesCommand({ StackName: values.stack }))
    .then(({ StackResources = [] }) => StackResources)
    .catch((error: Error) => {
      // CloudFormation answers a stack it does not know with a ValidationError.
      if (error.name === 'ValidationError')
        throw new UsageError(`no stack ${values.stack}: ${error.message}`);
      throw error;
    });
  const functions = await Promise.all(
    resources
      .filter((r) => r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId)
      .map((r) =>
        lambdaClient.send(new lambda.GetFunctionConfigurationCommand({ FunctionName: r.PhysicalResourceId })),
      ),
  );
  const serviceOf = (f: (typeof functions)[number]) => f.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
  const fn = functions.find((f) => serviceOf(f) === SERVICE_NAME);
  if (!fn?.FunctionName || !fn.Role)
    throw new UsageError(`stack ${values.stack} holds no sagemaker-iam-remediator function`);
  const [, partition = 'aws', , region = '', account = ''] = (fn.FunctionArn ?? '').split(':');
  const where = { partition, account, region };
  const cleanup = functions.find((f) => serviceOf(f) === CLEANUP_SERVICE_NAME);

  const iamClient = new iam.IAMClient(options);
  for (const [label, { FunctionName, Role, Environment }, checksFor] of [
    ['function', fn, checksOf],
    ...(cleanup ? [['grant cleanup', cleanup, cleanupChecksOf] as const] : []),
  ] as const) {
    write(`${label} ${FunctionName ?? ''}, role ${Role ?? ''}`);
    for (const check of checksFor(Environment?.Variables ?? {}, where)) {
      const { EvaluationResults = [] } = await iamClient.send(
        new iam.SimulatePrincipalPolicyCommand({
          PolicySourceArn: Role,
          ActionNames: [check.action],
          ResourceArns: [check.resource],
          ContextEntries: check.context ? [...check.context] : undefined,
        }),
      );
      const decision = EvaluationResults[0]?.EvalDecision ?? 'no answer';
      if (decision !== 'allowed') {
        write(
          `FAIL  ${check.action} on ${check.resource}: ${decision}; the ${label}'s role needs it to ${check.why}`,
        );
        return 1;
      }
      write(`ok    ${check.action} on ${check.resource} (${check.why})`);
    }
  }

  const sample = readFileSync(join(packageRoot(), SAMPLE_EVENT), 'utf8').replaceAll(SAMPLE_ACCOUNT, account);
  const answer = await lambdaClient.send(
    new lambda.InvokeCommand({
      FunctionName: fn.FunctionName,
      Payload: new TextEncoder().encode(JSON.stringify(selftestEventOf(JSON.parse(sample)))),
    }),
  );
  const payload = answer.Payload ? new TextDecoder().decode(answer.Payload) : '';
  const result = (payload ? JSON.parse(payload) : {}) as { messageId?: string; errorMessage?: string };
  if (answer.FunctionError || !result.messageId) {
    write(`FAIL  invoke: ${answer.FunctionError ?? 'no message'}: ${result.errorMessage ?? payload}`);
    return 1;
  }
  write(`ok    invoke: the function diagnosed the sample and published a test message (${result.messageId})`);
  return 0;
}

/** The command's body (bin/commands.ts turns errors into one line and an exit code). */
export const run = (values: SelftestFlags): Promise<number> => selftest(values);
