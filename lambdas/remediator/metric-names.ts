/**
 * The one list of what the service counts, read by the handler (which emits them) and by the
 * construct (its log metric filter and dashboard). Plain data: the CDK app loads it too.
 */

/** The service name: Powertools' `service` dimension on every metric, and the log's service. */
export const SERVICE_NAME = 'sagemaker-iam-remediator';
/** The daily grant cleanup's log service, also how `selftest` tells its function in a stack. */
export const CLEANUP_SERVICE_NAME = `${SERVICE_NAME}-cleanup`;

interface MetricDefinition {
  readonly name: string;
  /** The one dimension besides `service` a data point carries. */
  readonly dimension: string | undefined;
  /** Counted by a log metric filter (no dimensions at all) rather than emitted by the handler. */
  readonly fromLog?: boolean;
  /** A level measured once a run (the daily cleanup), graphed by its maximum, not a count of events. */
  readonly gauge?: boolean;
}

export const METRICS_NAMESPACE = 'SageMakerIamRemediator';

/** Every metric the service emits, and the dimension each is broken down by (if any). */
export const METRICS = {
  /** A failed job read and diagnosed, once per breakdown. */
  failuresByJobType: { name: 'FailuresDiagnosed', dimension: 'JobType' },
  failuresByCategory: { name: 'FailuresDiagnosed', dimension: 'Category' },
  failuresByFixLocation: { name: 'FailuresDiagnosed', dimension: 'FixLocation' },
  /** A permission fix proposal published. */
  proposals: { name: 'ProposalsPublished', dimension: undefined },
  /** A fix attached by auto-remediation. */
  autoApplied: { name: 'FixesAutoApplied', dimension: undefined },
  /** Auto-remediation on, and the fix not attached: refused by the guard, dry run, too large, failed. */
  refusals: { name: 'AutoApplyRefusals', dimension: 'Reason' },
  /** A fix a human approved from chat and the approver attached. */
  approvals: { name: 'FixesApproved', dimension: undefined },
  /** The service's statements in force on the account's roles after the daily cleanup. */
  activeGrants: { name: 'GrantsActive', dimension: undefined, gauge: true },
  /** The service's statements the daily cleanup found expired (and removed). */
  expiredGrants: { name: 'GrantsExpired', dimension: undefined, gauge: true },
  /** An event that was not a failed job: counted from the log by the construct's metric filter. */
  skippedEvents: { name: 'SkippedEvents', dimension: undefined, fromLog: true },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
