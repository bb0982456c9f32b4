/**
 * The incidents the configuration asks for, without loading their store: the store and its DynamoDB
 * client are a chunk loaded by the first failure that is recorded or the first flush.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INCIDENT_DEFAULTS } from '../../core/incident.js';
import type { RemediatorConfig } from '../config.js';
import type { Lazy } from '../lazy.js';
import { lazy } from '../lazy.js';
import type { IncidentStore, IncidentStoreOptions } from './incidents.js';

/** What the handler asks of incidents: record a failure, flush the digests that are due. */
export type Incidents = Pick<IncidentStore, 'record' | 'flushDue'>;

/** None when the window is 0 or there is no table. */
export function incidentStoreFrom(
  config: RemediatorConfig,
  clients: Pick<IncidentStoreOptions, 'sns' | 'logger' | 'now'> & { readonly dynamodb: Lazy<DynamoDBClient> },
): Incidents | undefined {
  const windowMinutes = config.incidentWindowMinutes ?? 0;
  const tableName = config.idempotencyTableName;
  if (!tableName || windowMinutes <= 0) return undefined;
  const store = lazy(async () => {
    const { IncidentStore } = await import('./incidents.js');
    return new IncidentStore({
      ...clients,
      dynamodb: await clients.dynamodb(),
      tableName,
      topicArn: config.topicArn,
      windowMinutes,
      digestThreshold: INCIDENT_DEFAULTS.digestThreshold,
    });
  });
  // Every argument is passed on, whatever the store's methods take.
  return {
    record: async (...args) => (await store()).record(...args),
    flushDue: async (...args) => (await store()).flushDue(...args),
  };
}
