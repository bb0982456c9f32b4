/** Which clients act for a job: those of its own account and region, or none. */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
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

  it("17-6: in central mode, a member's job is read in its own region, and a home job of another region not at all", async () => {
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
    expect(await member.sagemaker.config.region()).toBe('eu-west-1');
    expect(homeElsewhere).toEqual({ unavailable: expect.stringContaining('region eu-west-1') as string });
  });
});
