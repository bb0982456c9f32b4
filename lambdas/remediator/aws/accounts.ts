/**
 * Clients that act in the failed job's own account and region and nowhere else: the home clients for
 * the home account's jobs in the home region and, in central mode, the role that
 * `MemberAccountForwarder` creates in a member account, with a SageMaker client in the job's region.
 * Names (jobs, roles) are looked up through these clients, so a job is never read or changed by a
 * same-named one of another account or region. Credentials are cached per account until shortly
 * before they expire.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { STSClient } from '@aws-sdk/client-sts';
import type { JobContext } from '../../core/index.js';
import type { HomeEnvironment, RemediatorConfig } from '../config.js';
import type { ClientConfig } from './retry.js';
import { CLIENT_RETRY } from './retry.js';

/** Renew a little before expiry, so that a slow invocation never uses expired credentials. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;

/** Where clients act: a job's account and region, or a grant record's. */
export type AccountRegion = Pick<JobContext, 'partition' | 'accountId' | 'region'>;

/** Clients acting in a job's account, or why there are none. */
export type AccountAccess =
  { readonly sagemaker: SageMakerClient; readonly iam: IAMClient } | { readonly unavailable: string };

/** Why the home clients cannot act for the job: another account or region. Undefined when they can. */
function elsewhere(job: AccountRegion, home: HomeEnvironment, mode: string): string | undefined {
  if (job.accountId !== home.accountId)
    return `the job is in account ${job.accountId ?? 'unknown'}, not in this account ${home.accountId || 'unknown'}, and ${mode}`;
  if (job.region !== home.region)
    return `the job is in region ${job.region ?? 'unknown'}, not in this function's region ${home.region || 'unknown'}`;
  return undefined;
}

export interface MemberAccountOptions {
  readonly homeAccountId: string;
  /** The central function's region: the home clients act there only. */
  readonly homeRegion: string;
  /** The role name `MemberAccountForwarder` gives its role in every member account. */
  readonly memberRoleName: string;
  readonly sts: STSClient;
  /** The clients of the central account itself. */
  readonly home: { readonly sagemaker: SageMakerClient; readonly iam: IAMClient };
  /** Retries and timeouts of the member account's clients. @default CLIENT_RETRY */
  readonly clientConfig?: ClientConfig;
  readonly now?: () => number;
}

/** Single-account mode: this account's clients for its own jobs in its region, none for any other. */
export function homeAccountAccess(
  environment: HomeEnvironment,
  home: MemberAccountOptions['home'],
): (job: AccountRegion) => Promise<AccountAccess> {
  return (job) => {
    const unavailable = elsewhere(job, environment, 'central mode is off');
    return Promise.resolve(unavailable ? { unavailable } : home);
  };
}

/** Central mode: the home clients for the home account, the member role for any other account. */
export function memberAccountAccess(
  options: MemberAccountOptions,
): (job: AccountRegion) => Promise<AccountAccess> {
  const cache = new Map<string, { access: AccountAccess; expires: number }>();
  const now = options.now ?? Date.now;
  const homeAccess = homeAccountAccess(
    { accountId: options.homeAccountId, region: options.homeRegion },
    options.home,
  );
  return async (job) => {
    const { accountId: account, region } = job;
    if (!account || !region) return { unavailable: 'the job names no account or no region' };
    if (account === options.homeAccountId) return homeAccess(job);
    const key = `${account}/${region}`;
    const cached = cache.get(key);
    if (cached && cached.expires - RENEW_BEFORE_MS > now()) return cached.access;
    const roleArn = `arn:${job.partition}:iam::${account}:role/${options.memberRoleName}`;
    // Central mode only: STS is a chunk of its own, loaded for the first member account.
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
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
      const clientConfig = options.clientConfig ?? CLIENT_RETRY;
      const access = {
        sagemaker: new SageMakerClient({ ...clientConfig, region, credentials }),
        iam: new IAMClient({ ...clientConfig, credentials }),
      };
      cache.set(key, { access, expires: Credentials.Expiration?.getTime() ?? now() + 900_000 });
      return access;
    } catch (error) {
      return { unavailable: `cannot assume ${roleArn}: ${(error as Error).message.slice(0, 200)}` };
    }
  };
}

/**
 * The clients a function acts through, as its configuration says: this account's alone, or in central
 * mode also the member role of the job's account. `environment` is where the function runs.
 */
export async function accountAccessOf(
  environment: HomeEnvironment,
  central: RemediatorConfig['central'],
  clientConfig: ClientConfig,
): Promise<(job: AccountRegion) => Promise<AccountAccess>> {
  const home = { sagemaker: new SageMakerClient(clientConfig), iam: new IAMClient(clientConfig) };
  if (!central) return homeAccountAccess(environment, home);
  const { STSClient } = await import('@aws-sdk/client-sts');
  return memberAccountAccess({
    ...central,
    homeRegion: environment.region,
    sts: new STSClient(clientConfig),
    home,
    clientConfig,
  });
}
