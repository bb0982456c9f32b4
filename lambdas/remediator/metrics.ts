/**
 * Counts what the service does, in CloudWatch's embedded metric format (log lines, no API calls),
 * under the names of metric-names.ts and no others.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { MetricKey } from './metric-names.js';
import { METRICS } from './metric-names.js';
import type { RemediationResult } from './remediate.js';
import type { CleanupReport } from '../core/grants.js';

/** One data point: a count of 1 of a metric, with its dimension's value. */
export interface MetricPoint {
  readonly metric: MetricKey;
  readonly value?: string;
  /** How many: 1 for an event, the level for a gauge. @default 1 */
  readonly count?: number;
}

/** What one processed failure counts (pure): the breakdowns of the failure and what came of it. */
export function metricPointsOf(result: RemediationResult): MetricPoint[] {
  const diagnosed: MetricPoint[] = [
    { metric: 'failuresByJobType', value: result.jobType },
    { metric: 'failuresByCategory', value: result.category },
    ...(result.status === 'not-permission'
      ? []
      : [{ metric: 'failuresByFixLocation', value: result.fixLocation } as const]),
  ];
  // A grouped failure is counted as diagnosed; its incident's first failure counted the proposal.
  if (result.status === 'not-permission' || result.status === 'grouped') return diagnosed;
  const { outcome } = result.autoApply;
  return [
    ...diagnosed,
    { metric: 'proposals' },
    ...(result.status === 'applied' ? [{ metric: 'autoApplied' } as const] : []),
    ...(outcome !== null && result.status !== 'applied'
      ? [{ metric: 'refusals', value: outcome } as const]
      : []),
  ];
}

/** What one daily cleanup measures: the grants in force after it, and those it found expired. */
export const cleanupPointsOf = (report: CleanupReport): MetricPoint[] => [
  { metric: 'activeGrants', count: report.activeStatements },
  { metric: 'expiredGrants', count: report.removedExpired.reduce((n, policy) => n + policy.sids.length, 0) },
];

/** Writes each point as its own EMF record, so each carries only its own dimension. */
export function emit(metrics: Metrics, points: readonly MetricPoint[]): void {
  for (const point of points) {
    const { name, dimension } = METRICS[point.metric];
    const single = metrics.singleMetric();
    if (dimension) single.addDimension(dimension, point.value ?? 'none');
    single.addMetric(name, MetricUnit.Count, point.count ?? 1);
  }
}

/**
 * Counts each processed failure after the handler returns. Skipped and duplicate events end the
 * request earlier (a returned value in `before`), so they are not counted here.
 */
export function countRemediations(metrics: Metrics): MiddlewareObj<unknown, unknown> {
  return {
    after: (request) => {
      emit(metrics, metricPointsOf(request.response as RemediationResult));
      return undefined;
    },
  };
}

/** Counts each fix a human approved in chat and the approver attached; refusals are not approvals. */
export function countApprovals(metrics: Metrics): MiddlewareObj<unknown, { readonly status: string }> {
  return {
    after: (request) => {
      if (request.response?.status === 'applied') emit(metrics, [{ metric: 'approvals' }]);
      return undefined;
    },
  };
}
