/**
 * Messages a reader acts on in ten seconds (issue 11): the verdict first, what to do second, then the
 * evidence; every rendering names the job, its account and region and links to it in the console;
 * certainty is one word used one way.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { certaintyOf } from '../../lambdas/core/certainty.js';
import type { ChatbotNotification, Finding, JobContext, Outcome } from '../../lambdas/core/index.js';
import {
  analyse,
  failedJobFromInput,
  render,
  renderChatbot,
  renderJson,
  renderText,
} from '../../lambdas/core/index.js';
import { notificationOf } from '../../lambdas/core/notification.js';
import { consoleUrlOf } from '../../lambdas/core/render.js';
import { EVENTS_DIR, eventNames, readEvent } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

const outcomeOfEvent = (name: string): Outcome => {
  const job = failedJobFromInput(readEvent(name));
  return analyse(job.failureReason ?? '', job);
};

const JOB = 'xgb-churn-2026-11-20-09-02-11-417';
const WHERE = 'in account 111122223333, region us-east-1';
const consoleOf = (path: string): string =>
  `https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/${path}`;

describe('the first lines of the text rendering', () => {
  it.each([
    [
      'training-s3-output-access-denied.json',
      `Training job ${JOB} ${WHERE} failed: role SageMakerExecRole lacks s3:AbortMultipartUpload, s3:PutObject (output) [likely]`,
      /^The most likely fix: aws iam put-role-policy --role-name 'SageMakerExecRole' --policy-name sagemaker-iam-remediator-[0-9a-f]{12} --policy-document '\{/,
    ],
    [
      'training-kms-output-denied.json',
      `Training job ${JOB} ${WHERE} failed: role SageMakerExecRole lacks kms:Decrypt, kms:GenerateDataKey (kms) [certain]`,
      /^Fix: aws iam put-role-policy --role-name 'SageMakerExecRole' /,
    ],
    [
      'training-ecr-pull-denied.json',
      `Training job ${JOB} ${WHERE} failed: role SageMakerExecRole lacks ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, ecr:BatchGetImage and 1 more (ecr-image) [possible]`,
      /^A possible fix \(the message names several causes\): aws iam put-role-policy /,
    ],
    [
      'endpoint-images-failed.json',
      `Endpoint churn-endpoint ${WHERE} failed: role <execution-role-name> lacks ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, ecr:BatchGetImage and 1 more (ecr-image) [possible]`,
      /^A possible fix \(the message names several causes; fill in the <placeholders> first\): aws iam /,
    ],
    [
      'training-scp-explicit-deny.json',
      `Training job ${JOB} ${WHERE} failed: s3:GetObject is explicitly denied by a service control policy of the AWS Organization [certain]`,
      /^Who fixes it: the organization's administrators must change a service control policy of the AWS Organization; an Allow on the role will not help\.$/,
    ],
    [
      'tuning-s3-input-denied.json',
      `Hyperparameter tuning job xgb-churn-hpo-1121 ${WHERE} failed: role SageMakerExecRole lacks s3:ListBucket, s3:GetObject (input-data) [likely]`,
      /^The most likely fix: aws iam put-role-policy /,
    ],
  ])('%s: the verdict, then what to do', (event, verdict, nextStep) => {
    // Act
    const [first, second] = renderText(outcomeOfEvent(event)).split('\n');
    // Assess
    expect(first).toBe(verdict);
    expect(second).toMatch(nextStep);
  });

  it('training-untrusted-failure-file.json: the verdict, the untrusted-origin warning, then what to do', () => {
    // Act
    const lines = renderText(outcomeOfEvent('training-untrusted-failure-file.json')).split('\n');
    // Assess
    expect(lines[0]).toBe(
      `Training job ${JOB} ${WHERE} failed: access denied to iam:AttachRolePolicy; no policy is proposed [certain]`,
    );
    expect(lines[1]).toMatch(/^WARNING: untrusted text\./);
    expect(lines[2]).toBe(
      "iam:AttachRolePolicy can widen the role's own permissions: not proposed; a human must decide whether the job really needs it.",
    );
  });

  it('training-not-permission-oom.json: nothing proposed, nothing quoted, so no warning', () => {
    // Act
    const text = renderText(outcomeOfEvent('training-not-permission-oom.json'));
    // Assess
    expect(text.split('\n').slice(0, 2)).toEqual([
      `Training job ${JOB} ${WHERE} failed: not a permission problem (out-of-memory): The container ran out of memory.`,
      'No IAM change is needed: fix the out-of-memory cause and rerun the job.',
    ]);
    expect(text).not.toContain('WARNING');
  });

  it('an unrecognised text says nothing was found, never that no IAM change is needed (issue 18)', () => {
    // Prepare
    const job = failedJobFromInput(readEvent('training-not-permission-oom.json'));
    // Act
    const text = renderText(analyse('ClientError: the widget sprocket failed to frobnicate', job));
    // Assess
    expect(text).toContain('not recognised as a permission problem; nothing proposed');
    expect(text).not.toContain('No IAM change is needed');
  });

  it('shows the command before the policy, and the evidence after both', () => {
    // Act
    const text = renderText(outcomeOfEvent('training-s3-input-access-denied.json'));
    // Assess
    const command = text.indexOf('aws iam put-role-policy');
    const evidence = text.indexOf('Denied: s3:GetObject, s3:ListBucket for input-data (likely)');
    const policy = text.indexOf('"Version": "2012-10-17"');
    expect(command).toBeGreaterThan(0);
    expect(evidence).toBeGreaterThan(command);
    expect(policy).toBeGreaterThan(evidence);
    expect(text).toContain('  | Data download failed:Unable to download object s3://my-training-bucket/');
  });
});

describe('every rendering names the job and where it ran, and links to it', () => {
  const formats = (outcome: Outcome): Record<string, string> => ({
    text: render(outcome, 'text'),
    slack: render(outcome, 'slack'),
    json: render(outcome, 'json'),
    email: (JSON.parse(notificationOf(outcome).message) as { email: string }).email,
  });

  it.each(eventNames())('%s', (event) => {
    // Prepare
    const outcome = outcomeOfEvent(event);
    const job = outcome.job as JobContext;
    const url = consoleUrlOf(job);
    // Act
    const rendered = formats(outcome);
    // Assess
    expect(url).toMatch(
      /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/sagemaker\/home\?region=us-east-1#\//,
    );
    for (const [format, text] of Object.entries(rendered)) {
      expect({ format, account: text.includes('111122223333') }).toEqual({ format, account: true });
      expect({ format, region: text.includes('us-east-1') }).toEqual({ format, region: true });
      expect({ format, name: text.includes(job.jobName ?? '?') }).toEqual({ format, name: true });
      expect({ format, link: text.includes(url ?? '?') }).toEqual({ format, link: true });
    }
    expect(renderJson(outcome)).toMatchObject({
      job: {
        jobType: job.jobType,
        jobName: job.jobName,
        accountId: '111122223333',
        region: 'us-east-1',
        consoleUrl: url,
      },
      headline: { verdict: expect.stringContaining(job.jobName ?? '?') },
    });
    expect(renderChatbot(outcome).metadata?.additionalContext).toMatchObject({
      jobType: job.jobType,
      accountId: '111122223333',
      region: 'us-east-1',
      consoleUrl: url,
    });
  });

  it.each([
    ['training', 'jobs'],
    ['processing', 'processing-jobs'],
    ['transform', 'transform-jobs'],
    ['tuning', 'hyper-tuning-jobs'],
    ['endpoint', 'endpoints'],
  ] as const)('links a %s job to the console page /%s/', (jobType, path) => {
    const job = {
      ...outcomeOfEvent('training-kms-output-denied.json').job,
      jobType,
      jobName: 'j-1',
    } as JobContext;
    expect(consoleUrlOf(job)).toBe(consoleOf(`${path}/j-1`));
  });

  it.each([
    ['aws-cn', 'cn-north-1', 'https://console.amazonaws.cn/sagemaker/home?region=cn-north-1#/jobs/j-1'],
    [
      'aws-us-gov',
      'us-gov-west-1',
      'https://console.amazonaws-us-gov.com/sagemaker/home?region=us-gov-west-1#/jobs/j-1',
    ],
    ['aws-iso', 'us-iso-east-1', undefined],
    ['aws', undefined, undefined],
  ])('builds the %s console link for %s', (partition, region, url) => {
    const job = {
      ...outcomeOfEvent('training-kms-output-denied.json').job,
      partition,
      region,
      jobName: 'j-1',
    };
    expect(consoleUrlOf(job as JobContext)).toBe(url);
  });

  it('says why a bare failure text has no link, and still names what it does not know', () => {
    const [verdict, , link] = renderText(analyse('AccessDenied: Access Denied')).split('\n');
    expect(verdict).toMatch(
      /^SageMaker job \(name unknown\) in account \(unknown\), region \(unknown\) failed: /,
    );
    expect(link).toBe('Console: no link (only the failure text was given)');
  });
});

describe('the mail subject', () => {
  it('names the job and what failed, in at most 100 ASCII characters, keeping the certainty', () => {
    expect(notificationOf(outcomeOfEvent('training-scp-explicit-deny.json')).subject).toBe(
      `${JOB} failed: s3:GetObject is explicitly denied by a servic... [certain]`,
    );
  });
});

describe('Slack', () => {
  it('shows the policy once: in the command of the next step', () => {
    // Act
    const notification = renderChatbot(outcomeOfEvent('training-s3-input-access-denied.json'));
    // Assess
    expect(JSON.stringify(notification.content).match(/2012-10-17/g)).toHaveLength(1);
    expect(notification.content.nextSteps).toEqual([expect.stringMatching(/^`aws iam put-role-policy .*`$/)]);
    expect(notification.content.description.split('\n')[1]).toBe(
      '*The most likely fix:* run the command under Next steps.',
    );
  });

  it.each([
    ['training-s3-input-access-denied.json', ['s3', 'input-data', 'training']],
    ['training-scp-explicit-deny.json', ['s3', 'input-data', 'scp', 'training']],
    ['training-kms-output-denied.json', ['kms', 'identity-policy', 'training']],
    ['training-not-permission-oom.json', ['not-permission', 'out-of-memory', 'training']],
  ])('%s has keywords that say something', (event, keywords) => {
    expect(renderChatbot(outcomeOfEvent(event)).content.keywords).toEqual(keywords);
  });

  it.each(eventNames())('%s has no `unknown` keyword', (event) => {
    expect(renderChatbot(outcomeOfEvent(event)).content.keywords).not.toContain('unknown');
  });

  it('enables the approval button only on a notification that carries a proposal id', () => {
    // Prepare
    const outcome = outcomeOfEvent('training-kms-output-denied.json');
    const chatbotOf = (proposalId?: string): ChatbotNotification =>
      JSON.parse((JSON.parse(notificationOf(outcome, { proposalId }).message) as { https: string }).https);
    // Act
    const approvable = chatbotOf('0123456789abcdef01234567');
    const plain = chatbotOf();
    // Assess
    expect(approvable.metadata).toMatchObject({
      enableCustomActions: true,
      additionalContext: { proposalId: '0123456789abcdef01234567', jobName: JOB },
    });
    expect(plain.metadata).not.toHaveProperty('enableCustomActions');
    expect(plain.metadata?.additionalContext).not.toHaveProperty('proposalId');
  });
});

describe('certainty: one word, one meaning', () => {
  const finding = (overrides: Partial<Finding>): Finding => ({
    ruleId: 'r',
    channel: 'input-data',
    certainty: 'certain',
    fixLocation: 'identity-policy',
    fixLocationFromText: true,
    principalArn: 'arn:aws:sts::111122223333:assumed-role/R/SageMaker',
    explicitDeny: false,
    grants: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'], resourceSource: 'job' }],
    causes: [],
    notes: [],
    matchedText: '',
    ...overrides,
  });

  it.each([
    ['names the action, the principal and the denying policy type', {}, 'certain'],
    [
      'names a service principal instead of a role',
      { principalArn: undefined, servicePrincipal: 'sagemaker.amazonaws.com' },
      'certain',
    ],
    ['does not say which policy denied', { fixLocation: 'unknown' as const }, 'likely'],
    ['leaves the policy type to inference', { fixLocationFromText: false }, 'likely'],
    ['names no principal', { principalArn: undefined }, 'likely'],
    ['names no action', { grants: [] }, 'likely'],
    ['names several causes', { certainty: 'possible' as const }, 'possible'],
  ])('a finding whose message %s is %s', (_name, overrides, certainty) => {
    expect(certaintyOf(finding(overrides))).toBe(certainty);
  });

  it.each([
    [
      'names action, principal and policy type',
      'User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action',
      'certain',
    ],
    [
      'leaves the policy type to inference',
      'User: arn:aws:sts::111122223333:assumed-role/R/SageMaker is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k',
      'likely',
    ],
    [
      'names neither principal nor policy type',
      'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied',
      'likely',
    ],
  ])('a proposal whose text %s is %s (issue 18)', (_name, text, certainty) => {
    // Act
    const outcome = analyse(text);
    // Assess
    expect(outcome.kind === 'permission' && outcome.proposal.certainty).toBe(certainty);
  });

  it.each(eventNames())('%s: "the most likely fix" appears exactly beside `likely`', (event) => {
    const outcome = outcomeOfEvent(event);
    const json = renderJson(outcome) as { certainty?: string };
    const said = [renderText(outcome), render(outcome, 'slack'), JSON.stringify(json)];
    for (const text of said) expect(/most likely fix/i.test(text)).toBe(json.certainty === 'likely');
  });
});

describe('the CLI and the demo', () => {
  const run = (...args: string[]) =>
    spawnSync(TSX, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });

  it('prints the verdict, the command and the console link first with --format text', () => {
    // Act
    const { status, stdout } = run(
      'bin/diagnose.ts',
      '--event',
      `${EVENTS_DIR}training-s3-output-access-denied.json`,
    );
    // Assess
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(
      /^Training job xgb-churn-\S+ in account 111122223333, region us-east-1 failed: role SageMakerExecRole lacks /,
    );
    expect(lines[1]).toMatch(/^The most likely fix: aws iam put-role-policy /);
    expect(lines[2]).toBe(`Console: ${consoleOf(`jobs/${JOB}`)}`);
  });

  it('runs the demo: every sample opens with its verdict and names where the job ran', () => {
    // Act
    const { status, stdout } = run('bin/sagemaker-iam-remediator.ts', 'demo');
    // Assess
    expect(status).toBe(0);
    const sections = stdout.split(/={100}\n/).filter((part) => !/^\S+\.json\n$/.test(part) && part.trim());
    expect(sections).toHaveLength(eventNames().length);
    for (const section of sections) {
      expect(section.split('\n')[0]).toMatch(
        /^(Training job|Hyperparameter tuning job|Endpoint) \S+ in account 111122223333, region us-east-1 failed: /,
      );
      expect(section).toContain(
        'Console: https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/',
      );
    }
  });
});
