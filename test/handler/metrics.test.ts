import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { buildCleanupHandler } from '../../lambdas/remediator/cleanup.js';
import type { RemediatorConfig } from '../../lambdas/remediator/config.js';
import { configFromEnv } from '../../lambdas/remediator/config.js';
import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/remediator/metric-names.js';
import { cleanupPointsOf, countApprovals, metricPointsOf } from '../../lambdas/remediator/metrics.js';
import type { RemediationResult } from '../../lambdas/remediator/remediate.js';
import { readEvent } from '../helpers/fixtures.js';
import { homeClients, lambdaContext } from '../helpers/lambda.js';

const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);

interface Emf {
  readonly _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  readonly [dimension: string]: unknown;
}

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

/**
 * The EMF records a handler writes to standard output for one event: name and dimensions. The
 * remediator's handler unless `cleanup`, then the daily grant cleanup's.
 */
async function emittedFor(event: unknown, config: Partial<RemediatorConfig> = {}, { cleanup = false } = {}) {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  try {
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    const deps = {
      sns: new SNSClient({}),
      config: { ...configFromEnv({ TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t' }), ...config },
      logger,
    };
    const handler: Handler = cleanup
      ? buildCleanupHandler(new IAMClient({}), deps, logger, metrics)
      : buildHandler({ ...deps, accountAccess: homeClients() }, logger, metrics);
    await handler(event, lambdaContext());
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf)
    .map((record) => {
      const [directive] = record._aws.CloudWatchMetrics;
      const dimensions = (directive?.Dimensions[0] ?? []).filter((name) => name !== 'service');
      return {
        namespace: directive?.Namespace,
        service: record.service,
        name: directive?.Metrics[0]?.Name,
        ...Object.fromEntries(dimensions.map((name) => [name, record[name]])),
      };
    });
}

beforeEach(() => {
  iam.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  iam.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [] });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const common = { namespace: METRICS_NAMESPACE, service: SERVICE_NAME };

describe('the handler counts what it does', () => {
  it.each([
    [
      'a permission proposal',
      'training-kms-output-denied.json',
      {},
      [
        { name: 'FailuresDiagnosed', JobType: 'training' },
        { name: 'FailuresDiagnosed', Category: 'permission' },
        { name: 'FailuresDiagnosed', FixLocation: 'identity-policy' },
        { name: 'ProposalsPublished' },
      ],
    ],
    [
      'a failure that is not about permissions',
      'training-not-permission-oom.json',
      {},
      [
        { name: 'FailuresDiagnosed', JobType: 'training' },
        { name: 'FailuresDiagnosed', Category: 'out-of-memory' },
      ],
    ],
    [
      'a fix auto-remediation refused',
      'training-kms-output-denied.json',
      { autoRemediate: true, allowedAccounts: ['999988887777'], roleNamePatterns: ['*'] },
      [
        { name: 'FailuresDiagnosed', JobType: 'training' },
        { name: 'FailuresDiagnosed', Category: 'permission' },
        { name: 'FailuresDiagnosed', FixLocation: 'identity-policy' },
        { name: 'ProposalsPublished' },
        { name: 'AutoApplyRefusals', Reason: 'refused' },
      ],
    ],
  ])('%s', async (_name, file, config, expected) => {
    // Act
    const emitted = await emittedFor(readEvent(file), config);
    // Assess
    expect(emitted).toEqual(expected.map((point) => ({ ...common, ...point })));
  });

  it('19-dashboard: the daily cleanup measures the grants in force and those it found expired', async () => {
    // Prepare: one role whose service policy holds one expired and two live statements.
    const expiring = (sid: string, at: string) => ({
      Sid: sid,
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`arn:aws:s3:::b/${sid}`],
      Condition: { DateLessThan: { 'aws:CurrentTime': [at] } },
    });
    iam.on(ListRolesCommand).resolves({
      Roles: [
        {
          RoleName: 'SageMakerDev',
          Arn: 'arn:aws:iam::111122223333:role/SageMakerDev',
          Path: '/',
          RoleId: 'AROAEXAMPLE',
          CreateDate: new Date(),
        },
      ],
    });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['sagemaker-iam-remediator-grants'] });
    iam.on(GetRolePolicyCommand).resolves({
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          expiring('OldR0000000000000001', '2020-01-01T00:00:00Z'),
          expiring('LiveR0000000000000002', '2999-01-01T00:00:00Z'),
          expiring('LiveR0000000000000003', '2999-01-01T00:00:00Z'),
        ],
      }),
    });
    iam.on(PutRolePolicyCommand).resolves({});
    iam.on(DeleteRolePolicyCommand).resolves({});
    // Act
    const emitted = await emittedFor({}, {}, { cleanup: true });
    // Assess
    expect(emitted.map(({ name }) => name)).toEqual(['GrantsActive', 'GrantsExpired']);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  it('counts nothing for an event it skips', async () => {
    expect(await emittedFor({ source: 'aws.ec2', 'detail-type': 'x', detail: {} })).toEqual([]);
  });

  it('emits only names and dimensions of the shared list', async () => {
    // Prepare: every case above, and an applied fix from the pure mapping.
    const emitted = [
      ...(await emittedFor(readEvent('training-kms-output-denied.json'))),
      ...(await emittedFor(readEvent('training-scp-explicit-deny.json'))),
      ...(await emittedFor(readEvent('training-not-permission-oom.json'))),
    ];
    const declared = Object.values(METRICS)
      .filter((metric) => !('fromLog' in metric))
      .map(({ name, dimension }) => `${name}/${dimension ?? ''}`);
    // Assess
    for (const { name, namespace, service, ...dimensions } of emitted) {
      expect({ namespace, service }).toEqual(common);
      expect(declared).toContain(`${name}/${Object.keys(dimensions)[0] ?? ''}`);
    }
    expect(emitted.length).toBeGreaterThan(0);
  });
});

describe('metricPointsOf', () => {
  it('counts an applied fix, and no refusal for it', () => {
    const applied: RemediationResult = {
      status: 'applied',
      jobName: 'j',
      messageId: 'm',
      jobType: 'processing',
      category: 'permission',
      fixLocation: 'identity-policy',
      verification: 'verified',
      autoApply: { eligible: true, outcome: 'applied', refusals: [], policyName: 'p', recordId: 'r' },
    };
    expect(metricPointsOf(applied)).toEqual([
      { metric: 'failuresByJobType', value: 'processing' },
      { metric: 'failuresByCategory', value: 'permission' },
      { metric: 'failuresByFixLocation', value: 'identity-policy' },
      { metric: 'proposals' },
      { metric: 'autoApplied' },
    ]);
  });
});

describe('cleanupPointsOf', () => {
  it('measures the statements left in force and the expired statements removed', () => {
    // Prepare
    const removed = { roleName: 'r', policyName: 'sagemaker-iam-remediator-grants', sids: ['a', 'b'] };
    // Act
    const points = cleanupPointsOf({
      removedExpired: [removed, { ...removed, sids: ['c'] }],
      unused: [],
      failed: [],
      removedUnused: false,
      activeStatements: 4,
    });
    // Assess
    expect(points).toEqual([
      { metric: 'activeGrants', count: 4 },
      { metric: 'expiredGrants', count: 3 },
    ]);
  });
});

describe('countApprovals', () => {
  it.each([
    ['applied', ['FixesApproved']],
    ['refused', []],
    ['already-decided', []],
  ] as const)('an approval that ends %s counts %j', async (status, names) => {
    // Prepare
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    const handler = middy(async () => ({ status })).use(countApprovals(metrics));
    // Act
    try {
      await handler({}, lambdaContext());
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    // Assess
    const emitted = lines
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => (JSON.parse(line) as Emf)._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name));
    expect(emitted.flat()).toEqual(names);
    expect(names.every((name) => Object.values(METRICS).some((m) => m.name === name))).toBe(true);
  });
});
