/**
 * The stack's part of incidents (lambdas/core/incident.ts): the window the function reads, a bound on
 * its concurrency, the table's index of incidents waiting for a digest, and the rule that flushes due
 * incidents.
 *
 * The flush is a `rate(1 minute)` rule rather than one EventBridge Scheduler schedule per incident: it
 * needs no scheduler client in the bundle, no schedule role to pass, and nothing to create or clean up
 * per incident; a tick that fails or is missed is made good by the next one. It queries a sparse
 * index, sharded by incident, that holds only incidents with jobs waiting: no item lists the open
 * incidents, so none grows with the number of causes (DynamoDB's 400 KB item limit). The cost is at most a minute of delay after a window closes, and one small
 * invocation a minute.
 */
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FLUSH_INCIDENTS_EVENT, WAITING_INCIDENTS_INDEX } from '../lambdas/core/incident.js';

export interface IncidentWiring {
  /** Minutes an incident stays open after its first failure; 0 publishes every failure. */
  readonly windowMinutes: number;
  /** The function's reserved concurrency; none when undefined. */
  readonly maxConcurrency?: number;
  /** The table incidents are kept in (the idempotency table); it gets the index the flush queries. */
  readonly table: dynamodb.Table;
}

/**
 * Bounds the function's concurrency when asked to, so that a storm cannot take the account's Lambda
 * concurrency: asynchronous events over the bound wait in Lambda's queue (and EventBridge's retries)
 * and end in the DLQ only after their maximum age, never dropped. Returns the flush rule when
 * incidents are on.
 */
export function wireIncidents(
  scope: Construct,
  fn: lambda.Function,
  deadLetterQueue: sqs.IQueue,
  wiring: IncidentWiring,
): events.Rule | undefined {
  if (wiring.maxConcurrency !== undefined)
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = wiring.maxConcurrency;
  fn.addEnvironment('INCIDENT_WINDOW_MINUTES', String(wiring.windowMinutes));
  if (wiring.windowMinutes === 0) return undefined;
  const { indexName, partitionKey, sortKey } = WAITING_INCIDENTS_INDEX;
  wiring.table.addGlobalSecondaryIndex({
    indexName,
    partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: sortKey, type: dynamodb.AttributeType.NUMBER },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  });
  // The flush finds incidents with jobs waiting through this index alone: Query on it, nothing wider.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'QueryWaitingIncidents',
      actions: ['dynamodb:Query'],
      resources: [`${wiring.table.tableArn}/index/${indexName}`],
    }),
  );
  return new events.Rule(scope, 'IncidentDigestRule', {
    description: 'Sends the digest of every sagemaker-iam-remediator incident whose window has closed',
    schedule: events.Schedule.rate(Duration.minutes(1)),
    targets: [
      new targets.LambdaFunction(fn, {
        event: events.RuleTargetInput.fromObject(FLUSH_INCIDENTS_EVENT),
        deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(30),
      }),
    ],
  });
}
