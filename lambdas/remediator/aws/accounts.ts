/**
 * Clients that act in the failed job's own account and nowhere else: the home clients for the home
 * account's jobs and, in central mode, the role that `MemberAccountForwarder` creates in a member
 * account. Credentials are cached per account until shortly before they expire. In central mode the
 * failures of every region arrive in the home region, so SageMaker is called in the job's own region
 * (IAM is global).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { JobContext } from '../../core/index.js';
import type { AccountAccess } from '../remediate.js';
import type { ClientConfig } from './retry.js';
import { CLIENT_RETRY } from './retry.js';

/** Renew a little before expiry, so that a slow invocation never uses expired credentials. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;

export interface MemberAccountOptions {
  readonly homeAccountId: string;
  /** The role name `MemberAccountForwarder` gives its role in every member account. */
  readonly memberRoleName: string;
  readonly sts: STSClient;
  /** The clients of the central account itself. */
  readonly home: { readonly sagemaker: SageMakerClient; readonly iam: IAMClient };
  /** Retries and timeouts of the member account's clients. @default CLIENT_RETRY */
  readonly clientConfig?: ClientConfig;
  readonly now?: () => number;
}

/** Single-account mode: this account's clients for its own jobs, none for another account's. */
export function homeAccountAccess(
  homeAccountId: string,
  home: MemberAccountOptions['home'],
): (job: JobContext) => Promise<AccountAccess> {
  return (job) =>
    Promise.resolve(
      job.accountId === homeAccountId
        ? home
        : {
            unavailable: `the job is in account ${job.accountId ?? 'unknown'}, not in this account ${homeAccountId}, and central mode is off`,
          },
    );
}

type Clients = MemberAccountOptions['home'];

/**
 * Central mode: the home clients for the home account, the member role for any other account; in
 * either, a SageMaker client of the job's region.
 */
export function memberAccountAccess(
  options: MemberAccountOptions,
): (job: JobContext) => Promise<AccountAccess> {
  const cache = new Map<string, { access: Clients; expires: number }>();
  const regional = new Map<string, SageMakerClient>();
  const now = options.now ?? Date.now;
  const clientConfig = options.clientConfig ?? CLIENT_RETRY;
  /**
   * The account's SageMaker client for the job's region, signing as `base` does: `base` itself when
   * the job names no region or the same.
   */
  const inJobRegion = async (
    base: SageMakerClient,
    key: string,
    region: string | undefined,
  ): Promise<SageMakerClient> => {
    if (!region || region === (await base.config.region().catch(() => undefined))) return base;
    const known = regional.get(`${key}/${region}`);
    if (known) return known;
    const client = new SageMakerClient({ ...clientConfig, region, credentials: base.config.credentials });
    regional.set(`${key}/${region}`, client);
    return client;
  };
  return async (job) => {
    const account = job.accountId;
    if (!account) return { unavailable: 'the job names no account' };
    if (account === options.homeAccountId)
      return { ...options.home, sagemaker: await inJobRegion(options.home.sagemaker, 'home', job.region) };
    const cached = cache.get(account);
    if (cached && cached.expires - RENEW_BEFORE_MS > now())
      return { ...cached.access, sagemaker: await inJobRegion(cached.access.sagemaker, account, job.region) };
    const roleArn = `arn:${job.partition}:iam::${account}:role/${options.memberRoleName}`;
    try {
      const { Credentials } = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'sagemaker-iam-remediator',
          DurationSeconds: 900,
        }),
      );
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
        throw new Error('AssumeRole returned no credentials');
      const credentials = {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        sessionToken: Credentials.SessionToken,
        expiration: Credentials.Expiration,
      };
      const access = {
        sagemaker: new SageMakerClient({ ...clientConfig, credentials, region: job.region }),
        iam: new IAMClient({ ...clientConfig, credentials }),
      };
      // Renewed credentials come with new clients, regional ones included.
      for (const key of regional.keys()) if (key.startsWith(`${account}/`)) regional.delete(key);
      cache.set(account, { access, expires: Credentials.Expiration?.getTime() ?? now() + 900_000 });
      return { ...access, sagemaker: await inJobRegion(access.sagemaker, account, job.region) };
    } catch (error) {
      return { unavailable: `cannot assume ${roleArn}: ${(error as Error).message.slice(0, 200)}` };
    }
  };
}
