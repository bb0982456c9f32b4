/**
 * The scheduled grant cleanup: expired grants removed; with `reviewUnusedDays`, grants unused that
 * long proposed for removal (removed with `removeUnusedGrants`); one digest on the topic. It runs as a
 * function of its own (lambdas/cleanup/handler.ts), so that only its role lists roles and reads IAM's
 * last-accessed reports, and the remediator holds no IAM write it does not make itself.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { grantsCleanupNotificationOf } from '../core/notification.js';
import type { CleanupReport } from '../core/grants.js';
import { cleanupGrants, iamLastAccessed, markRecords } from './aws/grants.js';
import { publish } from './aws/sns.js';
import { cleanupPointsOf, emit } from './metrics.js';
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

/**
 * The cleanup function's handler, for its daily schedule: one cleanup in this account with `iam`,
 * its report logged and counted (`metrics`; tests may leave it out).
 */
export function buildCleanupHandler(
  iam: IAMClient,
  deps: Pick<Dependencies, 'sns' | 'dynamodb' | 'config' | 'logger' | 'now'>,
  logger: Logger,
  metrics?: Metrics,
) {
  return middy(async () => {
    const report = await cleanUpGrants(iam, deps);
    if (metrics) emit(metrics, cleanupPointsOf(report));
    return report;
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
