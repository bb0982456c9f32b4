/** Which clients act for a job: those of its own account and region, or none. */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../../lambdas/core/types.js';
import { homeAccountAccess, memberAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { SAMPLE_HOME } from '../helpers/lambda.js';

const MEMBER = '444455556666';
const sts = mockClient(STSClient);
const home = { sagemaker: new SageMakerClient({ region: SAMPLE_HOME.region }), iam: new IAMClient({}) };

const jobIn = (accountId: string, region: string): JobContext => ({
  origin: 'job-state-change',
  jobType: 'training',
  jobName: 'central-nightly-train',
  partition: 'aws',
  region,
  accountId,
  s3Locations: [],
  images: [],
  kmsKeys: [],
  subnets: [],
  securityGroups: [],
  fileSystems: [],
});

afterEach(() => sts.reset());

describe('issue 17: the account and region acted in are the job’s', () => {
  it.each([
    [jobIn(MEMBER, SAMPLE_HOME.region), `the job is in account ${MEMBER}`],
    [jobIn(SAMPLE_HOME.accountId, 'eu-west-1'), 'the job is in region eu-west-1'],
  ])('17-6: outside central mode, a job of another account or region gets no clients', async (job, why) => {
    // Act
    const access = await homeAccountAccess(SAMPLE_HOME, home)(job);
    // Assess
    expect(access).toEqual({ unavailable: expect.stringContaining(why) as string });
  });

  // In central mode every region's failures reach the home region (issue 16, 16-org-regions): a home
  // job of another region is read there, with the home account's credentials.
  it("17-6: in central mode, a member's job and a home job of another region are each read in their own region", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'AKIA',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const access = memberAccountAccess({
      homeAccountId: SAMPLE_HOME.accountId,
      homeRegion: SAMPLE_HOME.region,
      memberRoleName: 'sagemaker-iam-remediator-member',
      sts: new STSClient({}),
      home,
    });
    // Act
    const member = await access(jobIn(MEMBER, 'eu-west-1'));
    const homeElsewhere = await access(jobIn(SAMPLE_HOME.accountId, 'eu-west-1'));
    // Assess
    if ('unavailable' in member) throw new Error(member.unavailable);
    if ('unavailable' in homeElsewhere) throw new Error(homeElsewhere.unavailable);
    expect(await member.sagemaker.config.region()).toBe('eu-west-1');
    expect(await homeElsewhere.sagemaker.config.region()).toBe('eu-west-1');
    expect(homeElsewhere.iam).toBe(home.iam);
  });
});

// 16-org-regions (issue 16): the central function and approver call SageMaker in the job's own region.
const HOME = '111122223333';
const job = (accountId: string, region: string): JobContext =>
  ({ accountId, region, partition: 'aws', jobType: 'training', jobName: 'job' }) as JobContext;

/** The region and access key a client would sign with. */
async function signing(client: SageMakerClient): Promise<[string, string]> {
  const credentials = await client.config.credentials();
  return [await client.config.region(), credentials.accessKeyId];
}

describe('16-org-regions: SageMaker in the job region', () => {
  const stsClient = new STSClient({ region: 'us-east-1' });
  beforeEach(() =>
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'MEMBERKEY',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    }),
  );
  const homeCredentials = { accessKeyId: 'HOMEKEY', secretAccessKey: 'secret' };
  const home = {
    sagemaker: new SageMakerClient({ region: 'us-east-1', credentials: homeCredentials }),
    iam: new IAMClient({ region: 'us-east-1', credentials: homeCredentials }),
  };
  const access = memberAccountAccess({
    homeAccountId: HOME,
    homeRegion: 'us-east-1',
    memberRoleName: 'member',
    sts: stsClient,
    home,
  });
  const sagemakerOf = async (accountId: string, region: string) => {
    const clients = await access(job(accountId, region));
    if ('unavailable' in clients) throw new Error(clients.unavailable);
    return clients.sagemaker;
  };

  it('uses the home client for a home job of the home region', async () => {
    expect(await sagemakerOf(HOME, 'us-east-1')).toBe(home.sagemaker);
  });

  it.each([
    [HOME, 'eu-west-1', 'HOMEKEY'],
    [MEMBER, 'ap-southeast-2', 'MEMBERKEY'],
    [MEMBER, 'us-east-1', 'MEMBERKEY'],
  ])("account %s, a job in %s: that region, the account's credentials", async (accountId, region, key) => {
    // Act
    const client = await sagemakerOf(accountId, region);
    // Assess
    expect(await signing(client)).toEqual([region, key]);
  });

  it('keeps one client per account and region, after the credentials are cached', async () => {
    const first = await sagemakerOf(MEMBER, 'eu-central-1');
    const again = await sagemakerOf(MEMBER, 'eu-central-1');
    expect(again).toBe(first);
    expect(await signing(again)).toEqual(['eu-central-1', 'MEMBERKEY']);
  });
});
