import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, onTestFinished } from 'vitest';
import { diagnoseRecent } from '../../bin/recent.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMotoWorld } from '../support/moto-world.js';
import { motoEvent, ROLE_ARN } from '../support/world.js';

const NOW = new Date('2026-11-27T00:00:00Z');

function collect() {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

describe('recent against the real server', () => {
  useMotoWorld({ withWorld: false });

  it('lists with StatusEquals=Failed over real pagination and reports none when no job failed', async () => {
    // Prepare: moto's jobs always complete; a failed one cannot be made there.
    const client = new SageMakerClient({});
    await client.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'completed-job',
        RoleArn: ROLE_ARN,
        AlgorithmSpecification: {
          TrainingImage: `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/t:1`,
          TrainingInputMode: 'File',
        },
        OutputDataConfig: { S3OutputPath: 's3://b/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
      }),
    );
    const out = collect();
    // Act
    const code = await diagnoseRecent(client, { days: 7, format: 'text', write: out.write, now: new Date() });
    // Assess
    expect(code).toBe(0);
    expect(out.text()).toContain('0 failed training job(s) in the last 7 day(s); 0 permission problem(s).');
    const summary = collect();
    await diagnoseRecent(client, {
      days: 7,
      format: 'json',
      summary: true,
      write: summary.write,
      now: new Date(),
    });
    expect(JSON.parse(summary.text())).toEqual({
      days: 7,
      failedJobs: 0,
      jobType: {},
      outcome: {},
      fixLocation: {},
    });
  });
});

describe('recent with the Failed shape (stubbed SageMaker)', () => {
  const failed = motoEvent('training-kms-output-denied.json').detail as Record<string, unknown>;
  const oom = {
    ...(motoEvent('training-not-permission-oom.json').detail as Record<string, unknown>),
    TrainingJobName: 'oom-job',
  };

  it('walks every page, describes each job and prints a table and proposals', async () => {
    // moto cannot make a Failed job, so this test stubs the client; the one above uses the server.
    const sagemaker = mockClient(SageMakerClient);
    onTestFinished(() => sagemaker.restore());
    sagemaker.on(ListTrainingJobsCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken === 'page-2'
        ? { TrainingJobSummaries: [{ TrainingJobName: 'oom-job' }] }
        : {
            TrainingJobSummaries: [{ TrainingJobName: 'xgb-churn-2026-11-20-09-02-11-417' }],
            NextToken: 'page-2',
          },
    );
    sagemaker
      .on(DescribeTrainingJobCommand, { TrainingJobName: 'xgb-churn-2026-11-20-09-02-11-417' })
      .resolves(failed as never);
    sagemaker.on(DescribeTrainingJobCommand, { TrainingJobName: 'oom-job' }).resolves(oom as never);
    const client = new SageMakerClient({ region: 'us-east-1' });
    const progress: [number, number][] = [];
    const text = collect();
    await diagnoseRecent(client, {
      days: 3,
      format: 'text',
      write: text.write,
      now: NOW,
      progress: (d, t) => progress.push([d, t]),
    });
    const listCalls = sagemaker.commandCalls(ListTrainingJobsCommand).map((c) => c.args[0].input);
    expect(listCalls).toHaveLength(2);
    expect(listCalls[0]).toMatchObject({
      StatusEquals: 'Failed',
      CreationTimeAfter: new Date('2026-11-24T00:00:00Z'),
    });
    expect(listCalls[1]).toMatchObject({ NextToken: 'page-2' });
    const lines = text.text().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+FAILED AT\s+OUTCOME\s+ACTIONS$/);
    expect(lines[1]).toMatch(
      /^xgb-churn-2026-11-20-09-02-1…\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+permission \(certain\)\s+kms:Decrypt kms:GenerateData…$/,
    );
    expect(lines[2]).toMatch(/^oom-job\s+\S+ \S+\s+out-of-memory\s+-$/);
    expect(text.text()).toContain('2 failed training job(s) in the last 3 day(s); 1 permission problem(s).');
    expect(progress).toEqual([[2, 2]]);

    const json = collect();
    await diagnoseRecent(client, { days: 3, format: 'json', write: json.write, now: NOW });
    const proposals = JSON.parse(json.text()) as {
      jobName: string;
      isPermission: boolean;
      policy?: unknown;
    }[];
    expect(proposals.map((p) => [p.jobName, p.isPermission])).toEqual([
      ['xgb-churn-2026-11-20-09-02-11-417', true],
      ['oom-job', false],
    ]);
    expect(proposals[0]?.policy).toMatchObject({
      Statement: [{ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }],
    });

    const summary = collect();
    await diagnoseRecent(client, { days: 3, format: 'text', summary: true, write: summary.write, now: NOW });
    expect(summary.text()).toBe(
      [
        '2 failed job(s) in the last 3 day(s)',
        '',
        'JOB TYPE  JOBS',
        'training  2',
        '',
        'OUTCOME               JOBS',
        'out-of-memory         1',
        'permission (certain)  1',
        '',
        'FIX LOCATION     JOBS',
        '-                1',
        'identity-policy  1',
        '',
      ].join('\n'),
    );
    const summaryJson = collect();
    await diagnoseRecent(client, {
      days: 3,
      format: 'json',
      summary: true,
      write: summaryJson.write,
      now: NOW,
    });
    expect(JSON.parse(summaryJson.text())).toEqual({
      days: 3,
      failedJobs: 2,
      jobType: { training: 2 },
      outcome: { 'out-of-memory': 1, 'permission (certain)': 1 },
      fixLocation: { '-': 1, 'identity-policy': 1 },
    });
  });
});
