import { createHash } from 'node:crypto';
import { Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledFunction, lambdaEntry } from './bundling.js';
import type { DescribeRead, JobType } from '../lambdas/core/job-types.js';
import {
  ACCESS_DENIED_ERROR_CODES,
  API_CALL_DETAIL_TYPE,
  CREATE_CALLS,
  JOB_TYPE_NAMES,
  JOB_TYPES,
  SAGEMAKER_API_SOURCE,
  SAGEMAKER_EVENT_SOURCE,
  SAGEMAKER_SERVICE,
} from '../lambdas/core/job-types.js';
import {
  CLEANUP_SERVICE_NAME,
  METRICS,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../lambdas/remediator/metric-names.js';
import { SKIPPED_EVENT_MESSAGE } from '../lambdas/remediator/middleware.js';
import { GRANT_DEFAULTS, UNDO_KEY } from '../lambdas/core/grants.js';
import { INCIDENT_DEFAULTS } from '../lambdas/core/incident.js';
import { OPT_IN_TAG } from '../lambdas/core/guard.js';
import { RemediatorDashboard } from './dashboard.js';
import { wireIncidents } from './incidents.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { iam5Finding, StatementEventBusPolicy } from './nag.js';
import { PreflightCheck } from './preflight-check.js';

export type { JobType } from '../lambdas/core/job-types.js';

/** The pattern of one job type's failed state change, from the job-type table. */
export const stateChangePattern = (type: JobType): events.EventPattern => ({
  source: [SAGEMAKER_EVENT_SOURCE],
  detailType: [JOB_TYPES[type].detailType],
  detail: { [JOB_TYPES[type].statusField]: [JOB_TYPES[type].failedStatus] },
});

/**
 * The rules that catch what the remediator diagnoses: one per enabled job type's failed state change,
 * and optionally one for denied Create*Job calls. Shared with MemberAccountForwarder, so that both
 * ends of an organization-wide deployment match the same events.
 */
export function failureEventRules(
  scope: Construct,
  jobTypes: readonly JobType[],
  watchApiDenials: boolean,
  target: events.IRuleTarget,
): events.Rule[] {
  const stateChanges = jobTypes.map(
    (type) =>
      new events.Rule(scope, `${type[0]?.toUpperCase()}${type.slice(1)}JobFailedRule`, {
        description: `Failed SageMaker ${type} jobs to sagemaker-iam-remediator`,
        eventPattern: stateChangePattern(type),
        targets: [target],
      }),
  );
  if (!watchApiDenials) return stateChanges;
  const deniedCalls = new events.Rule(scope, 'CreateJobDeniedRule', {
    description: 'Denied SageMaker Create*Job calls (CloudTrail) to sagemaker-iam-remediator',
    eventPattern: {
      source: [SAGEMAKER_EVENT_SOURCE],
      detailType: [API_CALL_DETAIL_TYPE],
      detail: {
        eventSource: [SAGEMAKER_API_SOURCE],
        eventName: Object.entries(CREATE_CALLS).flatMap(([call, type]) =>
          jobTypes.includes(type) ? [call] : [],
        ),
        errorCode: [...ACCESS_DENIED_ERROR_CODES],
      },
    },
    targets: [target],
  });
  return [...stateChanges, deniedCalls];
}

/**
 * What reading a failure takes in the role's account: describing failed jobs of the enabled types,
 * and simulating the roles they name to verify a proposal. Failures are not known at deploy time, so
 * both are wildcards within the account; `jobRegion` is `*` for a role that serves jobs of every
 * region (central mode, the member role). Returns the wildcards for the cdk-nag acknowledgements.
 */
export function grantReadFailures(
  role: iam.Role,
  jobTypes: readonly JobType[],
  jobRegion: string = Stack.of(role).region,
): string[] {
  const { account, partition } = Stack.of(role);
  const describes = jobTypes.flatMap((type): readonly DescribeRead[] => JOB_TYPES[type].describe);
  const jobs = [
    ...new Set(
      describes.map(
        ({ resourceType }) =>
          `arn:${partition}:${SAGEMAKER_SERVICE}:${jobRegion}:${account}:${resourceType}/*`,
      ),
    ),
  ];
  const roles = `arn:${partition}:iam::${account}:role/*`;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeFailedJobs',
      actions: describes.map(({ operation }) => `${SAGEMAKER_SERVICE}:${operation}`),
      resources: jobs,
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'VerifyProposals',
      actions: ['iam:SimulatePrincipalPolicy'],
      resources: [roles],
    }),
  );
  return [...jobs, roles];
}

/**
 * The IAM resources a role-name pattern stands for: the role ARN's resource part is `role/` then its
 * path then its name, and IAM's `*` also matches `/`, so `role/<pattern>` is the name without a path
 * (or the path and name together), and the same after `role/*` and a slash is the name under any
 * path, such as the console's `service-role/`. The guard's `rolePatternMatches` answers the same question.
 */
export const rolePatternResources = (partition: string, account: string, pattern: string): string[] => [
  `arn:${partition}:iam::${account}:role/${pattern}`,
  `arn:${partition}:iam::${account}:role/*/${pattern}`,
];

/**
 * What attaching fixes takes, for the roles the guard may approve: a role matching a name pattern
 * (under any path), or a role carrying the opt-in tag, which IAM checks itself
 * (`iam:ResourceTag`). PutRolePolicy, DeleteRolePolicy (which removes a half-written fix), and the
 * reads before a write: the role's tags (the opt-in) and its inline policies (the size limit).
 */
export function grantAttachFixes(role: iam.Role, roleNamePatterns: readonly string[]): string[] {
  const { account, partition } = Stack.of(role);
  const roles = `arn:${partition}:iam::${account}:role/*`;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadRolesBeforeAttaching',
      actions: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:GetRolePolicy'],
      resources: [roles],
    }),
  );
  return allowOnOptedInRoles(role, ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'], roleNamePatterns, {
    named: 'AttachFixesToRolesMatchingPatterns',
    tagged: 'AttachFixesToTaggedRoles',
  });
}

/**
 * `actions` on the roles the guard may approve, and no other: those matching a name pattern (under
 * any path), and those carrying the opt-in tag, which IAM checks itself (`iam:ResourceTag`). Returns
 * the resources, for cdk-nag.
 */
function allowOnOptedInRoles(
  role: iam.Role,
  actions: readonly string[],
  roleNamePatterns: readonly string[],
  sids: { readonly named: string; readonly tagged: string },
): string[] {
  const { account, partition } = Stack.of(role);
  const roles = `arn:${partition}:iam::${account}:role/*`;
  const named = roleNamePatterns.flatMap((pattern) => rolePatternResources(partition, account, pattern));
  if (named.length > 0)
    role.addToPolicy(new iam.PolicyStatement({ sid: sids.named, actions: [...actions], resources: named }));
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: sids.tagged,
      actions: [...actions],
      resources: [roles],
      conditions: { StringEquals: { [`iam:ResourceTag/${OPT_IN_TAG.key}`]: OPT_IN_TAG.value } },
    }),
  );
  return [roles, ...named];
}

/**
 * However wide the role-name patterns (`*` included), the service never writes the policies of its
 * own roles: an explicit Deny, which no Allow overrides. `ownRoles` are role ARNs or ARN globs.
 */
export function denyWritingOwnRoles(role: iam.Role, ownRoles: readonly string[]): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'NeverWriteTheServicesOwnRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources: [...ownRoles],
    }),
  );
}

/** The role MemberAccountForwarder creates in every member account, for the central function. */
export const MEMBER_ROLE_NAME = 'sagemaker-iam-remediator-member';

/**
 * The names the central account's function and approver roles get in central mode: each member
 * role trusts exactly these (`aws:PrincipalArn`), so both ends must agree on them.
 */
export const CENTRAL_ROLE_NAMES = {
  function: 'sagemaker-iam-remediator-central',
  approver: 'sagemaker-iam-remediator-central-approver',
} as const;

/** The names of the central account's roles that member roles trust. */
export interface CentralRoleNames {
  /** @default 'sagemaker-iam-remediator-central' */
  readonly function?: string;
  /** @default 'sagemaker-iam-remediator-central-approver' */
  readonly approver?: string;
}

/**
 * The AWS Chatbot API limits a custom action's `CommandText` to 100 characters (the CloudFormation
 * schema allows 5,000, so no linter sees it).
 */
export const CHATBOT_COMMAND_TEXT_LIMIT = 100;

/**
 * The chat buttons, one row each: the text, the value a notification carries in
 * `additionalContext` (the button shows only where it has one), and the payload the approver gets.
 */
export const CHAT_BUTTONS = {
  apply: { id: 'ApplyFixAction', text: 'Apply this fix', variable: 'proposalId', payloadKey: 'proposalId' },
  undo: { id: 'UndoFixAction', text: 'Undo this fix', variable: 'undoId', payloadKey: UNDO_KEY },
} as const;
type ChatButton = (typeof CHAT_BUTTONS)[keyof typeof CHAT_BUTTONS];

/** The chat command of a button: invokes the approver with the button's value. */
export const buttonCommandText = (functionName: string, button: ChatButton): string =>
  `lambda invoke --function-name ${functionName} --payload {"${button.payloadKey}":"$${button.variable}"}`;

/** The longest approver function name whose every button command fits Chatbot's limit. */
export const APPROVER_NAME_LIMIT =
  CHATBOT_COMMAND_TEXT_LIMIT -
  Math.max(...Object.values(CHAT_BUTTONS).map((button) => buttonCommandText('', button).length));

/** Properties of {@link SageMakerPermissionRemediator}. */
export interface SageMakerPermissionRemediatorProps {
  /**
   * Job types whose `Failed` state changes are diagnosed.
   * @default ['training']
   */
  readonly jobTypes?: readonly JobType[];
  /**
   * An existing topic to publish proposals to. If it is encrypted, grant the function's role
   * (`function.role`) kms:GenerateDataKey and kms:Decrypt on its key.
   * @default - a new topic encrypted with a customer managed KMS key
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses to subscribe to the proposal topic.
   * @default - none
   */
  readonly notifyEmails?: readonly string[];
  /**
   * Attach fixes to execution roles automatically. Only for development accounts: a fix is attached
   * only in `allowedAccounts`, to roles that match `roleNamePatterns` or carry the opt-in tag, and
   * only what the guard in lambdas/core/guard.ts approves.
   * @default false
   */
  readonly autoRemediate?: boolean;
  /**
   * Accounts whose roles auto-remediation may change. Required when `autoRemediate` is true.
   * @default - none
   */
  readonly allowedAccounts?: readonly string[];
  /**
   * Role-name globs (`*` wildcard) that opt an execution role in to auto-remediation, under any path
   * (`service-role/` included). A role tagged `sagemaker-iam-remediator:auto=true` is opted in too.
   * @default - none: only roles tagged `sagemaker-iam-remediator:auto=true`
   */
  readonly roleNamePatterns?: readonly string[];
  /**
   * Log what auto-remediation would attach instead of attaching it.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Publish a short note for failures that are not permission problems.
   * @default false
   */
  readonly notifyNonPermission?: boolean;
  /**
   * Also diagnose Create*Job calls of the enabled job types that were denied before any job existed
   * (`iam:PassRole`, `sagemaker:AddTags`, `kms:CreateGrant` ...), from CloudTrail management events on
   * the default bus. The proposal is for the caller. Needs a CloudTrail trail in the account.
   * @default false
   */
  readonly watchApiDenials?: boolean;
  /**
   * One-click approval from Slack for proposals auto-remediation would not apply on its own: an AWS
   * Chatbot custom action on this channel's notifications invokes an approval Lambda, which re-checks
   * the stored proposal with the same guard and attaches exactly that policy. The channel is
   * subscribed to the topic.
   * @default - no approvals
   */
  readonly approvals?: {
    readonly slackChannel: chatbot.SlackChannelConfiguration;
    /**
     * Name of the approval Lambda; the chat button's command names it and must stay within
     * Chatbot's 100 characters, so at most {@link APPROVER_NAME_LIMIT} characters.
     * @default - `sir-approve-` and a hash of this construct's path: short and unique per stack
     */
    readonly approverFunctionName?: string;
    /**
     * Name of the AWS Chatbot custom action "Apply this fix" (unique in the account across
     * regions); the "Undo this fix" action is named the same with `-undo` after it.
     * @default - `sir-apply-fix-` (and `sir-undo-fix-`), a hash of this construct's path, and the region
     */
    readonly customActionName?: string;
  };
  /**
   * Central mode for an AWS Organization: this account's default event bus accepts the failure
   * events that `MemberAccountForwarder` sends from every account of the organization, and the
   * function acts in each account through the role the forwarder creates there. Every message
   * carries the account id; auto-remediation still needs the account in `allowedAccounts`.
   * @default - this account only
   */
  readonly central?: {
    readonly organizationId: string;
    /** @default 'sagemaker-iam-remediator-member' */
    readonly memberRoleName?: string;
    /** Names of this account's function and approver roles, which member roles trust. */
    readonly roleNames?: CentralRoleNames;
  };
  /**
   * ARN globs (`*`, `?`) of the resources auto-remediation and chat approval may grant access to;
   * passed to the function as `AUTO_REMEDIATE_RESOURCES` (a JSON array).
   * @default - the function's default: only the account's SageMaker default bucket
   */
  readonly autoRemediateResources?: readonly string[];
  /**
   * Failures with the same cause (account, role, fix) within this many minutes after the first are one
   * incident: the first is published at once, the others in one digest in its Slack thread when the
   * window closes. 0 publishes every failure on its own.
   * @default 15
   */
  readonly incidentWindowMinutes?: number;
  /**
   * Reserved concurrency of the function: a storm of failures waits in Lambda's and EventBridge's
   * retries instead of taking the account's concurrency. A reservation is taken from the account's
   * pool, which must keep 100 unreserved: an account whose concurrency quota is below 100 + this
   * value (new accounts often have 10) refuses the deploy. Without it, a storm shares the account's
   * concurrency with every other function.
   * @default - no reservation
   */
  readonly maxConcurrency?: number;
  /**
   * Pre-flight: check every submitted training job's execution role (CloudTrail `CreateTrainingJob`)
   * and publish "this job will fail" with the fix before it runs. `stopOnPreflightFailure` also stops
   * a job whose failure is certain. Needs a CloudTrail trail in the account.
   * @default - no pre-flight check
   */
  readonly preflight?: { readonly stopOnPreflightFailure?: boolean };
  /**
   * Days each statement the service writes stays valid: IAM itself denies it afterwards
   * (`DateLessThan aws:CurrentTime`), the daily cleanup removes it, and a rerun of the same fix renews
   * it. 0 means no expiry and must be chosen explicitly.
   * @default 30
   */
  readonly grantTtlDays?: number;
  /**
   * The daily cleanup also asks IAM's last-accessed data for grants unused this many days and
   * proposes their removal in one digest.
   * @default - no review of unused grants
   */
  readonly reviewUnusedDays?: number;
  /**
   * The daily cleanup deletes the unused grants it finds instead of only proposing it.
   * @default false
   */
  readonly removeUnusedGrants?: boolean;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A CloudWatch dashboard of what the service has been doing: failures diagnosed by job type,
   * category and fix location, proposals, auto-applied fixes, refusals, approvals, skipped events,
   * the dead-letter queue's depth, and the function's errors and duration.
   * @default false
   */
  readonly dashboard?: boolean;
}

const DEFAULTS = {
  jobTypes: ['training'] as readonly JobType[],
  autoRemediate: false,
  dryRun: false,
  notifyNonPermission: false,
  watchApiDenials: false,
  incidentWindowMinutes: INCIDENT_DEFAULTS.windowMinutes,
  logRetention: logs.RetentionDays.ONE_MONTH,
  grantTtlDays: GRANT_DEFAULTS.ttlDays,
  removeUnusedGrants: false,
} as const;

const isWholeNumber = (value: number, min: number): boolean =>
  Token.isUnresolved(value) || (Number.isInteger(value) && value >= min);

/** Every problem with the props at once, so a user fixes them in one pass. */
export function validateProps(props: SageMakerPermissionRemediatorProps): string[] {
  const rules: [boolean, string][] = [
    [
      Boolean(props.autoRemediate) && (props.allowedAccounts ?? []).length === 0,
      'autoRemediate needs at least one allowedAccounts entry',
    ],
    [
      (props.allowedAccounts ?? []).some(
        (account) => !Token.isUnresolved(account) && !/^\d{12}$/.test(account),
      ),
      'allowedAccounts entries must be 12-digit account ids',
    ],
    [
      (props.notifyEmails ?? []).some((email) => !/^[^@\s]+@[^@\s][^@\s.]*\.[^@\s]+$/.test(email)),
      'notifyEmails entries must be email addresses',
    ],
    [
      (props.jobTypes ?? DEFAULTS.jobTypes).some((type) => !JOB_TYPE_NAMES.includes(type)),
      `jobTypes must be among ${JOB_TYPE_NAMES.join(', ')}`,
    ],
    [(props.jobTypes ?? DEFAULTS.jobTypes).length === 0, 'jobTypes must name at least one job type'],
    [
      (props.roleNamePatterns ?? []).some((pattern) => !/^[\w+=,.@*-]+$/.test(pattern)),
      'roleNamePatterns may use role-name characters and * only',
    ],
    [
      (props.autoRemediateResources ?? []).some((glob) => !/^arn:[^\s]+$/.test(glob)),
      'autoRemediateResources entries must be ARN globs (arn:...)',
    ],
    [
      (props.approvals?.approverFunctionName?.length ?? 0) > APPROVER_NAME_LIMIT,
      `approverFunctionName must be at most ${APPROVER_NAME_LIMIT} characters: the chat command that names it is limited to ${CHATBOT_COMMAND_TEXT_LIMIT}`,
    ],
    [
      !isWholeNumber(props.incidentWindowMinutes ?? DEFAULTS.incidentWindowMinutes, 0),
      'incidentWindowMinutes must be a whole number of minutes, 0 or more',
    ],
    [
      props.maxConcurrency !== undefined && !isWholeNumber(props.maxConcurrency, 1),
      'maxConcurrency must be a whole number, 1 or more',
    ],
    [
      !isWholeNumber(props.grantTtlDays ?? DEFAULTS.grantTtlDays, 0) ||
        (props.grantTtlDays ?? DEFAULTS.grantTtlDays) > 3650,
      'grantTtlDays must be a whole number of days from 0 (no expiry) to 3650',
    ],
    [
      props.reviewUnusedDays !== undefined && !isWholeNumber(props.reviewUnusedDays, 1),
      'reviewUnusedDays must be a whole number of days, 1 or more',
    ],
    [
      Boolean(props.removeUnusedGrants) && props.reviewUnusedDays === undefined,
      'removeUnusedGrants needs reviewUnusedDays',
    ],
    [
      props.approvals !== undefined && (props.allowedAccounts ?? []).length === 0,
      'approvals need at least one allowedAccounts entry: the approver acts only in allowed accounts, so no click could succeed',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, message]) => message);
}

/** A short name unique to this construct in its app (and so in its stack), for account-wide names. */
const shortUniqueName = (scope: Construct, prefix: string): string =>
  `${prefix}${createHash('sha256').update(Names.uniqueId(scope)).digest('hex').slice(0, 10)}`;

const HANDLER_ENTRY = lambdaEntry('remediator/handler');
const APPROVER_ENTRY = lambdaEntry('approver/handler');
const CLEANUP_ENTRY = lambdaEntry('cleanup/handler');

/**
 * Diagnoses failed SageMaker jobs and publishes least-privilege fix proposals (and, opt-in, applies
 * them): EventBridge rules → Lambda (DLQ, retries, alarms) → SNS topic (email, AWS Chatbot).
 */
export class SageMakerPermissionRemediator extends Construct {
  public readonly topic: sns.ITopic;
  /** The key of the topic this construct created; undefined for a topic passed in. */
  private topicKey?: kms.IKey;
  public readonly function: lambda.Function;
  /** The approval Lambda the chat button invokes; undefined without approvals. */
  public readonly approver?: lambda.Function;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly idempotencyTable: dynamodb.Table;
  /** The records of why each grant was written (`grants --records-table`); none when nothing writes. */
  public readonly grantRecordsTable?: dynamodb.Table;
  /** The daily cleanup of expired (and, opt-in, unused) grants; present whenever the service writes. */
  public readonly grantCleanup?: lambda.Function;
  public readonly rules: readonly events.Rule[];
  /** The dashboard, when `dashboard` is true. */
  public readonly dashboard?: RemediatorDashboard;
  /** The pre-flight check, when `preflight` is set. */
  public readonly preflight?: PreflightCheck;
  /** What the guard reads, for the function and the approver alike. */
  private readonly guardEnvironment: Record<string, string>;

  public constructor(scope: Construct, id: string, props: SageMakerPermissionRemediatorProps = {}) {
    super(scope, id);
    const problems = validateProps(props);
    if (problems.length > 0) throw new Error(`SageMakerPermissionRemediator: ${problems.join('; ')}`);
    const jobTypes = props.jobTypes ?? DEFAULTS.jobTypes;
    const autoRemediate = props.autoRemediate ?? DEFAULTS.autoRemediate;

    this.topic = props.topic ?? this.createTopic();
    for (const email of props.notifyEmails ?? [])
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.deadLetterQueue = deadLetterQueue(this, 'the EventBridge target and the function');

    this.idempotencyTable = this.expiringTable('IdempotencyTable');

    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator: reads failed jobs and roles, publishes proposals',
      // Member roles trust the central roles by name.
      roleName: props.central
        ? (props.central.roleNames?.function ?? CENTRAL_ROLE_NAMES.function)
        : undefined,
    });
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;
    this.guardEnvironment = {
      ALLOWED_ACCOUNTS: (props.allowedAccounts ?? []).join(','),
      ROLE_NAME_PATTERNS: (props.roleNamePatterns ?? []).join(','),
      ...(props.autoRemediateResources
        ? { AUTO_REMEDIATE_RESOURCES: JSON.stringify(props.autoRemediateResources) }
        : {}),
      GRANT_TTL_DAYS: String(props.grantTtlDays ?? DEFAULTS.grantTtlDays),
    };
    this.function = this.bundledFunction('Function', HANDLER_ENTRY, role, logRetention, {
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      environment: {
        TOPIC_ARN: this.topic.topicArn,
        AUTO_REMEDIATE: String(autoRemediate),
        ...this.guardEnvironment,
        DRY_RUN: String(props.dryRun ?? DEFAULTS.dryRun),
        NOTIFY_NON_PERMISSION: String(props.notifyNonPermission ?? DEFAULTS.notifyNonPermission),
        IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        // Its own account: outside central mode the function acts for that account's jobs only.
        HOME_ACCOUNT_ID: Stack.of(this).account,
      },
    });

    wireIncidents(this, this.function, this.deadLetterQueue, {
      windowMinutes: props.incidentWindowMinutes ?? DEFAULTS.incidentWindowMinutes,
      maxConcurrency: props.maxConcurrency,
      table: this.idempotencyTable,
    });

    const wildcardResources = [
      // In central mode the failures of every region arrive on this region's bus.
      ...grantReadFailures(role, jobTypes, props.central ? '*' : Stack.of(this).region),
      ...(autoRemediate ? grantAttachFixes(role, props.roleNamePatterns ?? []) : []),
    ];
    this.grantPublish(role);
    // What the idempotency layer and the incident store call: no Scan or batch reads (the incident
    // flush's Query is granted on its index alone, in wireIncidents).
    // On the table alone: Table#grant would add `index/*` once the incidents' index exists.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'IdempotencyAndIncidentItems',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.idempotencyTable.tableArn],
      }),
    );
    const roleNamePatterns = props.roleNamePatterns ?? [];
    const memberRoleName = props.central?.memberRoleName ?? MEMBER_ROLE_NAME;
    this.approver = props.approvals
      ? this.wireApprovals(props.approvals, role, logRetention, roleNamePatterns, props.central)
      : undefined;
    const approverRole = this.approver?.role as iam.Role | undefined;
    const lifecycle =
      autoRemediate || approverRole
        ? this.wireGrantLifecycle(role, approverRole, props, autoRemediate, logRetention)
        : undefined;
    this.grantRecordsTable = lifecycle?.records;
    this.grantCleanup = lifecycle?.cleanup;
    const cleanupRole = lifecycle?.cleanup.role as iam.Role | undefined;
    const { account, partition } = Stack.of(this);
    const ownRoles = [
      role.roleArn,
      ...[approverRole, cleanupRole].flatMap((writer) => (writer ? [writer.roleArn] : [])),
      // Roles CloudFormation names after this stack, and the member role if this account has one.
      `arn:${partition}:iam::${account}:role/${Stack.of(this).stackName}-*`,
      `arn:${partition}:iam::${account}:role/${memberRoleName}`,
    ];
    for (const writer of [role, approverRole, cleanupRole]) if (writer) denyWritingOwnRoles(writer, ownRoles);
    if (props.central) {
      const detailTypes = [
        ...jobTypes.map((type) => JOB_TYPES[type].detailType),
        ...(props.watchApiDenials ? [API_CALL_DETAIL_TYPE] : []),
      ];
      this.acceptOrganization(props.central.organizationId, detailTypes);
      for (const actor of [this.function, this.approver])
        if (actor) this.actInMemberAccounts(actor, props.central);
    }
    const wildcards = [...new Set(wildcardResources.map((resource) => `Resource::${resource}`))];
    for (const finding of wildcards) {
      Validations.of(role).acknowledge({
        id: iam5Finding(finding),
        reason:
          'Failed jobs and their execution roles are not known at deploy time: Describe* covers only this ' +
          "account's jobs of the enabled types, IAM reads (and opt-in PutRolePolicy) only this account's roles; " +
          'log and table grants come from CDK grant methods on single resources.',
      });
    }

    const target = new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(2),
    });
    this.rules = failureEventRules(this, jobTypes, props.watchApiDenials ?? DEFAULTS.watchApiDenials, target);
    if (props.preflight) {
      this.preflight = new PreflightCheck(this, 'Preflight', {
        topicArn: this.topic.topicArn,
        deadLetterQueue: this.deadLetterQueue,
        stopOnPreflightFailure: props.preflight.stopOnPreflightFailure,
        jobTypes,
        createFunction: (fnId, entry, fnRole, environment) =>
          this.bundledFunction(fnId, entry, fnRole, logRetention, { environment }),
      });
      this.grantPublish(this.preflight.role);
    }

    // Skipped events (other event types, malformed input) are counted from the handler's log line.
    new logs.MetricFilter(this, 'SkippedEventsMetric', {
      logGroup: this.function.logGroup,
      metricNamespace: METRICS_NAMESPACE,
      metricName: METRICS.skippedEvents.name,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', SKIPPED_EVENT_MESSAGE),
      metricValue: '1',
    });

    if (props.dashboard)
      this.dashboard = new RemediatorDashboard(this, 'Dashboard', {
        function: this.function,
        deadLetterQueue: this.deadLetterQueue,
      });

    const alarmAction = new cloudwatchActions.SnsAction(this.topic);
    new cloudwatch.Alarm(this, 'FunctionErrorsAlarm', {
      alarmDescription: 'sagemaker-iam-remediator failed to process a failed-job event',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(alarmAction);
    new cloudwatch.Alarm(this, 'DeadLetterQueueAlarm', {
      alarmDescription:
        'Failed-job events that sagemaker-iam-remediator could not process are waiting in the DLQ',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(alarmAction);
  }

  /**
   * A table of records keyed by `id` that expire on their `expiration` attribute. It holds only
   * de-duplication records and proposals that expire within days, so it goes with the stack.
   */
  private expiringTable(id: string): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * The grant lifecycle: a table of the records of why each write happened (kept when the stack
   * goes: it is the audit trail), and the daily cleanup of expired (and, opt-in, unused) grants on
   * the roles the service may write, in this account. The cleanup is a function of its own, so that
   * the remediator, which reads untrusted failures, holds no IAM write it does not make itself (none
   * with approvals alone), and only the cleanup lists roles and reads last-accessed reports.
   */
  private wireGrantLifecycle(
    remediatorRole: iam.Role,
    approverRole: iam.Role | undefined,
    props: SageMakerPermissionRemediatorProps,
    autoRemediate: boolean,
    logRetention: logs.RetentionDays,
  ): { readonly records: dynamodb.Table; readonly cleanup: lambda.Function } {
    const records = new dynamodb.Table(this, 'GrantRecordsTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const recordItems = (actions: readonly string[]) =>
      new iam.PolicyStatement({
        sid: 'GrantRecordItems',
        actions: [...actions],
        resources: [records.tableArn],
      });
    if (autoRemediate) {
      // An auto-fix records its write.
      remediatorRole.addToPolicy(recordItems(['dynamodb:PutItem']));
      this.function.addEnvironment('GRANTS_TABLE_NAME', records.tableName);
    }
    if (approverRole && this.approver) {
      // An approval records its write; an undo reads the record and claims it, once.
      approverRole.addToPolicy(recordItems(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']));
      this.approver.addEnvironment('GRANTS_TABLE_NAME', records.tableName);
    }

    const cleanupRole = new iam.Role(this, 'GrantCleanupRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator: removes expired grants from the roles it may write, daily',
    });
    const roleNamePatterns = props.roleNamePatterns ?? [];
    // The cleanup rewrites or deletes the service's policies on the roles the service may write.
    const writable = grantAttachFixes(cleanupRole, roleNamePatterns);
    // It marks what it found on each record.
    cleanupRole.addToPolicy(recordItems(['dynamodb:UpdateItem']));
    this.grantPublish(cleanupRole);
    // It finds the roles with ListRoles. The IAM service reference lists no resource type for
    // iam:ListRoles (nor for iam:GetServiceLastAccessedDetails, which takes a report's job id): `*` is
    // the only resource IAM accepts for them.
    const unscoped = ['iam:ListRoles'];
    const environment: Record<string, string> = {
      TOPIC_ARN: this.topic.topicArn,
      ...this.guardEnvironment,
      GRANTS_TABLE_NAME: records.tableName,
      REMOVE_UNUSED_GRANTS: String(props.removeUnusedGrants ?? DEFAULTS.removeUnusedGrants),
      POWERTOOLS_SERVICE_NAME: CLEANUP_SERVICE_NAME,
    };
    if (props.reviewUnusedDays !== undefined) {
      // iam:GenerateServiceLastAccessedDetails takes the role's ARN (resource type `role`).
      writable.push(
        ...allowOnOptedInRoles(cleanupRole, ['iam:GenerateServiceLastAccessedDetails'], roleNamePatterns, {
          named: 'ReviewRolesMatchingPatterns',
          tagged: 'ReviewTaggedRoles',
        }),
      );
      unscoped.push('iam:GetServiceLastAccessedDetails');
      environment.REVIEW_UNUSED_DAYS = String(props.reviewUnusedDays);
    }
    cleanupRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'FindRolesAndReadReports', actions: unscoped, resources: ['*'] }),
    );
    for (const resource of new Set(['*', ...writable]))
      Validations.of(cleanupRole).acknowledge({
        id: iam5Finding(`Resource::${resource}`),
        reason:
          "The service's grants may be on any role it may write: reads cover any role of this account, " +
          'writes only the roles the remediator may write (name patterns or the opt-in tag); ListRoles and ' +
          'GetServiceLastAccessedDetails take no resource.',
      });
    const cleanup = this.bundledFunction('GrantCleanup', CLEANUP_ENTRY, cleanupRole, logRetention, {
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      environment,
    });
    new events.Rule(this, 'CleanGrantsRule', {
      description: 'sagemaker-iam-remediator: removes expired grants and reviews unused ones, daily',
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [
        new targets.LambdaFunction(cleanup, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2 }),
      ],
    });
    return { records, cleanup };
  }

  /** A Lambda built like every function of this construct: bundled ESM on the latest runtime, own logs. */
  private bundledFunction(
    id: string,
    entry: string,
    role: iam.IRole,
    retention: logs.RetentionDays,
    options: Pick<lambda.FunctionProps, 'environment' | 'retryAttempts' | 'onFailure' | 'functionName'>,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = bundledFunction(this, id, {
      ...options,
      entry,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      role,
      logGroup,
    });
    logGroup.grantWrite(role);
    return fn;
  }

  /**
   * Stored proposals, an approval Lambda, and the AWS Chatbot custom action that invokes it from the
   * channel's notifications. The approver may write exactly the roles the remediator may.
   */
  private wireApprovals(
    approvals: NonNullable<SageMakerPermissionRemediatorProps['approvals']>,
    remediatorRole: iam.Role,
    logRetention: logs.RetentionDays,
    roleNamePatterns: readonly string[],
    central: SageMakerPermissionRemediatorProps['central'],
  ): lambda.Function {
    const proposals = this.expiringTable('ProposalsTable');
    proposals.grant(remediatorRole, 'dynamodb:PutItem');
    this.function.addEnvironment('PROPOSALS_TABLE_NAME', proposals.tableName);

    const approverRole = new iam.Role(this, 'ApproverRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator: attaches fixes a human approved in chat, after the guard',
      roleName: central ? (central.roleNames?.approver ?? CENTRAL_ROLE_NAMES.approver) : undefined,
    });
    const writable = grantAttachFixes(approverRole, roleNamePatterns);
    proposals.grant(approverRole, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.grantPublish(approverRole);
    for (const resource of new Set(writable)) {
      Validations.of(approverRole).acknowledge({
        id: iam5Finding(`Resource::${resource}`),
        reason:
          'A human approves a fix for whichever execution role failed: reads cover any role of this account, ' +
          'writes only the roles the remediator may write (name patterns or the opt-in tag); the guard re-checks every approval.',
      });
    }
    const functionName = approvals.approverFunctionName ?? shortUniqueName(this, 'sir-approve-');
    const approver = this.bundledFunction('Approver', APPROVER_ENTRY, approverRole, logRetention, {
      functionName,
      environment: {
        PROPOSALS_TABLE_NAME: proposals.tableName,
        TOPIC_ARN: this.topic.topicArn,
        ...this.guardEnvironment,
      },
    });

    // Action names are unique in the account across regions: the same stack in two regions needs two.
    const applyName =
      approvals.customActionName ?? `${shortUniqueName(this, 'sir-apply-fix-')}-${Stack.of(this).region}`;
    const actionNames = {
      apply: applyName,
      undo: approvals.customActionName
        ? `${approvals.customActionName}-undo`
        : `${shortUniqueName(this, 'sir-undo-fix-')}-${Stack.of(this).region}`,
    };
    const actions = Object.entries(CHAT_BUTTONS).map(
      ([key, button]) =>
        new chatbot.CfnCustomAction(this, button.id, {
          actionName: actionNames[key as keyof typeof CHAT_BUTTONS],
          definition: { commandText: buttonCommandText(functionName, button) },
          attachments: [
            {
              notificationType: 'Custom',
              buttonText: button.text,
              variables: { [button.variable]: `event.metadata.additionalContext.${button.variable}` },
              criteria: [{ variableName: button.variable, operator: 'HAS_VALUE' }],
            },
          ],
        }),
    );
    const { slackChannel } = approvals;
    slackChannel.addNotificationTopic(this.topic);
    const channel = slackChannel.node.defaultChild as chatbot.CfnSlackChannelConfiguration;
    channel.customizationResourceArns = [
      ...(channel.customizationResourceArns ?? []),
      ...actions.map((action) => action.attrCustomActionArn),
    ];
    // Only the function itself, not its versions (grantInvoke would add `ARN:*`).
    const invokeApprover = new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [approver.functionArn],
    });
    slackChannel.role?.addToPrincipalPolicy(invokeApprover);
    // Without a guardrail, AWS Chatbot applies AdministratorAccess as the channel's: with this one, a
    // command in the channel can do nothing but press the button. Guardrails the channel already has
    // stay, with this one beside them so that the button works.
    const guardrail = new iam.ManagedPolicy(this, 'ChatGuardrail', {
      description: 'sagemaker-iam-remediator: the chat channel may only invoke the approver',
      statements: [invokeApprover],
    });
    const given = Stack.of(this).resolve(channel.guardrailPolicies) as string[] | undefined;
    channel.guardrailPolicies = [...(given ?? []), guardrail.managedPolicyArn];
    return approver;
  }

  /**
   * The organization's accounts may put SageMaker failure events (and nothing else) on this account's
   * default bus. What else it admits: any principal of any account of the organization may put an
   * event with that source and those detail-types; the function acts only in the account the event
   * names, through the member role, and only within the guard.
   */
  private acceptOrganization(organizationId: string, detailTypes: readonly string[]): void {
    const { account, region, partition } = Stack.of(this);
    // The L2 EventBusPolicy cannot render a statement for the imported default bus; the L1 can.
    new StatementEventBusPolicy(this, 'OrganizationBusPolicy', {
      statementId: 'SageMakerFailuresFromTheOrganization',
      statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: `arn:${partition}:events:${region}:${account}:event-bus/default`,
        Condition: {
          StringEquals: {
            'aws:PrincipalOrgID': organizationId,
            'events:source': [SAGEMAKER_EVENT_SOURCE],
            'events:detail-type': [...detailTypes],
          },
        },
      },
    });
  }

  /** A central role may assume the member role, only in accounts of the organization. */
  private actInMemberAccounts(
    fn: lambda.Function,
    central: NonNullable<SageMakerPermissionRemediatorProps['central']>,
  ): void {
    const { account, partition } = Stack.of(this);
    const memberRoleName = central.memberRoleName ?? MEMBER_ROLE_NAME;
    const memberRoles = `arn:${partition}:iam::*:role/${memberRoleName}`;
    const role = fn.role;
    if (!role) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ActInMemberAccounts',
        actions: ['sts:AssumeRole'],
        resources: [memberRoles],
        conditions: { StringEquals: { 'aws:ResourceOrgID': central.organizationId } },
      }),
    );
    Validations.of(role).acknowledge({
      id: iam5Finding(`Resource::${memberRoles}`),
      reason:
        'The member role has one name in every account of the organization; aws:ResourceOrgID limits it to the organization.',
    });
    fn.addEnvironment('MEMBER_ROLE_NAME', memberRoleName);
    fn.addEnvironment('HOME_ACCOUNT_ID', account);
  }

  /**
   * sns:Publish on the topic and, for the topic this construct encrypts, exactly the two key actions
   * publishing needs (CDK's grantPublish would add the wildcard kms:GenerateDataKey*). A topic passed in
   * with its own key needs the caller to grant that key.
   */
  private grantPublish(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishProposals',
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    if (this.topicKey) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptProposals',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.topicKey.keyArn],
        }),
      );
    }
  }

  /**
   * The proposal topic and its key. `enforceSSL` writes a topic policy, which replaces SNS's default
   * one: without an Allow for CloudWatch, the construct's own alarms could not publish. Both the topic
   * and the key admit CloudWatch only for this account's alarms.
   */
  private createTopic(): sns.Topic {
    const { account, region, partition } = Stack.of(this);
    const key = new kms.Key(this, 'TopicKey', {
      description: 'sagemaker-iam-remediator proposal topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topicKey = key;
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccountEncrypt',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      displayName: 'SageMaker permission fixes',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccountPublish',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    return topic;
  }
}
