/**
 * 16-org-regions: in central mode the failures of every region arrive in the home region; the
 * central function and approver call SageMaker in the job's own region, with the job account's
 * credentials.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../lambdas/core/index.js';
import { memberAccountAccess } from '../../lambdas/remediator/aws/accounts.js';

const HOME = '111122223333';
const MEMBER = '444455556666';
const job = (accountId: string, region: string): JobContext =>
  ({ accountId, region, partition: 'aws', jobType: 'training', jobName: 'job' }) as JobContext;

/** The region and access key a client would sign with. */
async function signing(client: SageMakerClient): Promise<[string, string]> {
  const credentials = await client.config.credentials();
  return [await client.config.region(), credentials.accessKeyId];
}

describe('16-org-regions: SageMaker in the job region', () => {
  const sts = new STSClient({ region: 'us-east-1' });
  mockClient(STSClient)
    .on(AssumeRoleCommand)
    .resolves({
      Credentials: {
        AccessKeyId: 'MEMBERKEY',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
  const homeCredentials = { accessKeyId: 'HOMEKEY', secretAccessKey: 'secret' };
  const home = {
    sagemaker: new SageMakerClient({ region: 'us-east-1', credentials: homeCredentials }),
    iam: new IAMClient({ region: 'us-east-1', credentials: homeCredentials }),
  };
  const access = memberAccountAccess({ homeAccountId: HOME, memberRoleName: 'member', sts, home });
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
