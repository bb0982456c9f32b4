/**
 * The scheduled grant cleanup: expired grants removed; with `reviewUnusedDays`, grants unused that
 * long proposed for removal (removed with `removeUnusedGrants`); one digest on the topic.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { grantsCleanupNotificationOf } from '../core/notification.js';
import type { CleanupReport } from '../core/grants.js';
import { cleanupGrants, iamLastAccessed, markRecords } from './aws/grants.js';
import { publish } from './aws/sns.js';
import type { Dependencies } from './remediate.js';

export async function cleanUpGrants(
  iam: IAMClient,
  deps: Pick<Dependencies, 'sns' | 'dynamodb' | 'config' | 'logger' | 'now'>,
): Promise<CleanupReport> {
  const { config } = deps;
  const report = await cleanupGrants(iam, {
    // The service only ever wrote roles of these patterns (or tagged ones: all roles are read).
    rolePatterns: config.roleNamePatterns,
    now: deps.now?.() ?? new Date(),
    reviewUnusedDays: config.reviewUnusedDays,
    removeUnusedGrants: config.removeUnusedGrants,
    lastAccessed: config.reviewUnusedDays === undefined ? undefined : iamLastAccessed(iam),
    markRecords:
      deps.dynamodb && config.grantsTableName
        ? markRecords(await deps.dynamodb(), config.grantsTableName)
        : undefined,
  });
  deps.logger.info('grant cleanup', { ...report });
  const digest = grantsCleanupNotificationOf(report, { reviewUnusedDays: config.reviewUnusedDays });
  if (digest) await publish(deps.sns, config.topicArn, digest);
  return report;
}
