import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MetricKey } from '../lambdas/remediator/metric-names.js';
import { METRICS, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/remediator/metric-names.js';

/** Properties of {@link RemediatorDashboard}. */
export interface RemediatorDashboardProps {
  /** The remediator function: its errors and duration. */
  readonly function: lambda.IFunction;
  /** Its dead-letter queue: the depth. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * The period of every graph.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

const DEFAULT_PERIOD = Duration.minutes(5);

/** The widget titles of the service's own metrics, one per entry of METRICS. */
export const METRIC_WIDGET_TITLES: Readonly<Record<MetricKey, string>> = {
  failuresByJobType: 'Failures diagnosed by job type',
  failuresByCategory: 'Failures diagnosed by category',
  failuresByFixLocation: 'Failures diagnosed by fix location',
  proposals: 'Fix proposals published',
  autoApplied: 'Fixes auto-applied',
  refusals: 'Auto-apply refusals by reason',
  approvals: 'Fixes approved from chat',
  activeGrants: 'Grants in force (daily cleanup)',
  expiredGrants: 'Grants expired (daily cleanup)',
  skippedEvents: 'Events skipped (not a failed job)',
};

/**
 * A CloudWatch dashboard of what the remediator has been doing: every metric of METRICS over time
 * (one line per dimension value, found by SEARCH), the dead-letter queue's depth, and the function's
 * errors and duration.
 */
export class RemediatorDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: RemediatorDashboardProps) {
    super(scope, id);
    const period = props.period ?? DEFAULT_PERIOD;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    const serviceMetrics = (Object.keys(METRICS) as MetricKey[]).map(
      (key) =>
        new cloudwatch.GraphWidget({
          title: METRIC_WIDGET_TITLES[key],
          left: [metricOf(key, period)],
          width: 8,
        }),
    );
    const health = [
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: [props.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration',
        left: [
          props.function.metricDuration({ period, statistic: cloudwatch.Stats.percentile(50) }),
          props.function.metricDuration({ period, statistic: cloudwatch.Stats.percentile(99) }),
        ],
        width: 8,
      }),
    ];
    this.dashboard.addWidgets(...serviceMetrics, ...health);
  }
}

/**
 * The graph of one metric: a SEARCH over its dimension (one line per value the handler has emitted),
 * or the metric itself. EMF records carry Powertools' `service` dimension; the log filter's have none.
 */
function metricOf(key: MetricKey, period: Duration): cloudwatch.IMetric {
  const definition = METRICS[key];
  if (definition.dimension) {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},${definition.dimension},service} MetricName="${definition.name}" service="${SERVICE_NAME}"', 'Sum', ${period.toSeconds()})`,
      // An empty label lets each line be named by its dimension value.
      label: '',
      period,
      usingMetrics: {},
    });
  }
  const gauge = 'gauge' in definition;
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: definition.name,
    dimensionsMap: 'fromLog' in definition ? {} : { service: SERVICE_NAME },
    // A gauge is measured once a day: its level, not a sum of 5-minute counts.
    statistic: gauge ? cloudwatch.Stats.MAXIMUM : cloudwatch.Stats.SUM,
    period: gauge ? Duration.days(1) : period,
  });
}
