import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
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
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ESM_REQUIRE_BANNER, MAIN_FIELDS, UNUSED_CREDENTIAL_PROVIDERS } from './bundling.js';
import {
  ACCESS_DENIED_ERROR_CODES,
  API_CALL_DETAIL_TYPE,
  CREATE_JOB_CALLS,
  JOB_FIELDS,
  JOB_STATE_CHANGE_DETAIL_TYPES,
} from '../lambdas/core/job-context.js';
import type { JobType } from '../lambdas/core/types.js';
import { SKIPPED_EVENT_MESSAGE } from '../lambdas/remediator/middleware.js';
import { iam5Finding } from './nag.js';
import { PreflightCheck } from './preflight-check.js';

/**
 * What the construct adds to the core's facts about each job type (its state change detail-type and
 * status field live in lambdas/core/job-context.ts): the status a failure has in its state change,
 * and how to describe it: the actions and the ARN types they act on.
 */
export const JOB_TYPES = {
  training: { failedStatus: 'Failed', describe: { DescribeTrainingJob: 'training-job' } },
  processing: { failedStatus: 'Failed', describe: { DescribeProcessingJob: 'processing-job' } },
  transform: { failedStatus: 'Failed', describe: { DescribeTransformJob: 'transform-job' } },
  tuning: {
    failedStatus: 'Failed',
    describe: { DescribeHyperParameterTuningJob: 'hyper-parameter-tuning-job' },
  },
  endpoint: {
    // Endpoint state changes spell statuses in capitals.
    failedStatus: 'FAILED',
    describe: {
      DescribeEndpoint: 'endpoint',
      DescribeEndpointConfig: 'endpoint-config',
      DescribeModel: 'model',
    },
  },
} as const satisfies Record<JobType, { failedStatus: string; describe: Record<string, string> }>;
export type { JobType } from '../lambdas/core/types.js';

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
        eventPattern: {
          source: ['aws.sagemaker'],
          detailType: [JOB_STATE_CHANGE_DETAIL_TYPES[type]],
          detail: { [JOB_FIELDS[type].status]: [JOB_TYPES[type].failedStatus] },
        },
        targets: [target],
      }),
  );
  if (!watchApiDenials) return stateChanges;
  const deniedCalls = new events.Rule(scope, 'CreateJobDeniedRule', {
    description: 'Denied SageMaker Create*Job calls (CloudTrail) to sagemaker-iam-remediator',
    eventPattern: {
      source: ['aws.sagemaker'],
      detailType: [API_CALL_DETAIL_TYPE],
      detail: {
        eventSource: ['sagemaker.amazonaws.com'],
        eventName: Object.entries(CREATE_JOB_CALLS).flatMap(([call, type]) =>
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
 * What reading a failure takes in the role's account: describing failed jobs of the enabled types and
 * reading (and simulating) the roles they name. Failures are not known at deploy time, so both are
 * wildcards within the account; returns them for the cdk-nag acknowledgements.
 */
export function grantReadFailures(role: iam.Role, jobTypes: readonly JobType[]): string[] {
  const { account, region, partition } = Stack.of(role);
  const describes = jobTypes.flatMap((type) => Object.entries(JOB_TYPES[type].describe));
  const jobs = [
    ...new Set(
      describes.map(([, arnType]) => `arn:${partition}:sagemaker:${region}:${account}:${arnType}/*`),
    ),
  ];
  const roles = `arn:${partition}:iam::${account}:role/*`;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DescribeFailedJobs',
      actions: describes.map(([action]) => `sagemaker:${action}`),
      resources: jobs,
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadExecutionRoles',
      actions: [
        'iam:GetRole',
        'iam:SimulatePrincipalPolicy',
        'iam:ListRolePolicies',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
      ],
      resources: [roles],
    }),
  );
  return [...jobs, roles];
}

/**
 * What attaching fixes takes: PutRolePolicy (and DeleteRolePolicy, which removes a half-written fix)
 * on roles matching the patterns, or, without patterns, on roles carrying the opt-in tag.
 */
export function grantAttachFixes(role: iam.Role, roleNamePatterns: readonly string[]): string[] {
  const { account, partition } = Stack.of(role);
  const resources =
    roleNamePatterns.length > 0
      ? roleNamePatterns.map((pattern) => `arn:${partition}:iam::${account}:role/${pattern}`)
      : [`arn:${partition}:iam::${account}:role/*`];
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AttachFixesToOptedInRoles',
      actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      resources,
      conditions:
        roleNamePatterns.length > 0
          ? undefined
          : { StringEquals: { [`iam:ResourceTag/${OPT_IN_TAG_KEY}`]: 'true' } },
    }),
  );
  return resources;
}

/** The role MemberAccountForwarder creates in every member account, for the central function. */
export const MEMBER_ROLE_NAME = 'sagemaker-iam-remediator-member';

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
   * Role-name globs (`*` wildcard) that opt an execution role in to auto-remediation.
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
  readonly approvals?: { readonly slackChannel: chatbot.SlackChannelConfiguration };
  /**
   * Central mode for an AWS Organization: this account's default event bus accepts the failure
   * events that `MemberAccountForwarder` sends from every account of the organization, and the
   * function acts in each account through the role the forwarder creates there. Every message
   * carries the account id; auto-remediation still needs the account in `allowedAccounts`.
   * @default - this account only
   */
  readonly central?: { readonly organizationId: string; readonly memberRoleName?: string };
  /**
   * Pre-flight: check every submitted training job's execution role (CloudTrail `CreateTrainingJob`)
   * and publish "this job will fail" with the fix before it runs. `stopOnPreflightFailure` also stops
   * a job whose failure is certain. Needs a CloudTrail trail in the account.
   * @default - no pre-flight check
   */
  readonly preflight?: { readonly stopOnPreflightFailure?: boolean };
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

const DEFAULTS = {
  jobTypes: ['training'] as readonly JobType[],
  autoRemediate: false,
  dryRun: false,
  notifyNonPermission: false,
  watchApiDenials: false,
  logRetention: logs.RetentionDays.ONE_MONTH,
} as const;

/** The tag key of the opt-in; mirrors OPT_IN_TAG in lambdas/core/guard.ts. */
const OPT_IN_TAG_KEY = 'sagemaker-iam-remediator:auto';

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
      (props.notifyEmails ?? []).some((email) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)),
      'notifyEmails entries must be email addresses',
    ],
    [
      (props.jobTypes ?? DEFAULTS.jobTypes).some((type) => !(type in JOB_TYPES)),
      `jobTypes must be among ${Object.keys(JOB_TYPES).join(', ')}`,
    ],
    [(props.jobTypes ?? DEFAULTS.jobTypes).length === 0, 'jobTypes must name at least one job type'],
    [
      (props.roleNamePatterns ?? []).some((pattern) => !/^[\w+=,.@*-]+$/.test(pattern)),
      'roleNamePatterns may use role-name characters and * only',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, message]) => message);
}

const HANDLER_ENTRY = fileURLToPath(new URL('../lambdas/remediator/handler.ts', import.meta.url));
const APPROVER_ENTRY = fileURLToPath(new URL('../lambdas/approver/handler.ts', import.meta.url));

/**
 * Diagnoses failed SageMaker jobs and publishes least-privilege fix proposals (and, opt-in, applies
 * them): EventBridge rules → Lambda (DLQ, retries, alarms) → SNS topic (email, AWS Chatbot).
 */
export class SageMakerPermissionRemediator extends Construct {
  public readonly topic: sns.ITopic;
  /** The key of the topic this construct created; undefined for a topic passed in. */
  private topicKey?: kms.IKey;
  public readonly function: nodejs.NodejsFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly idempotencyTable: dynamodb.Table;
  public readonly rules: readonly events.Rule[];
  public readonly preflight?: PreflightCheck;

  public constructor(scope: Construct, id: string, props: SageMakerPermissionRemediatorProps = {}) {
    super(scope, id);
    const problems = validateProps(props);
    if (problems.length > 0) throw new Error(`SageMakerPermissionRemediator: ${problems.join('; ')}`);
    const jobTypes = props.jobTypes ?? DEFAULTS.jobTypes;
    const autoRemediate = props.autoRemediate ?? DEFAULTS.autoRemediate;

    this.topic = props.topic ?? this.createTopic();
    for (const email of props.notifyEmails ?? [])
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge target and the function.',
    });

    this.idempotencyTable = this.expiringTable('IdempotencyTable');

    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator: reads failed jobs and roles, publishes proposals',
    });
    const logRetention = props.logRetention ?? DEFAULTS.logRetention;
    this.function = this.bundledFunction('Function', HANDLER_ENTRY, role, logRetention, {
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      environment: {
        TOPIC_ARN: this.topic.topicArn,
        AUTO_REMEDIATE: String(autoRemediate),
        ALLOWED_ACCOUNTS: (props.allowedAccounts ?? []).join(','),
        ROLE_NAME_PATTERNS: (props.roleNamePatterns ?? []).join(','),
        DRY_RUN: String(props.dryRun ?? DEFAULTS.dryRun),
        NOTIFY_NON_PERMISSION: String(props.notifyNonPermission ?? DEFAULTS.notifyNonPermission),
        IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
        POWERTOOLS_SERVICE_NAME: 'sagemaker-iam-remediator',
      },
    });

    const wildcardResources = [
      ...grantReadFailures(role, jobTypes),
      ...(autoRemediate ? grantAttachFixes(role, props.roleNamePatterns ?? []) : []),
    ];
    this.grantPublish(role);
    this.idempotencyTable.grantReadWriteData(role);
    if (props.approvals) this.wireApprovals(props.approvals.slackChannel, role, logRetention);
    if (props.central)
      this.acceptOrganization(
        props.central.organizationId,
        props.central.memberRoleName ?? MEMBER_ROLE_NAME,
        role,
      );
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
        createFunction: (fnId, entry, fnRole, environment) =>
          this.bundledFunction(fnId, entry, fnRole, logRetention, { environment }),
      });
      this.grantPublish(this.preflight.role);
    }

    // Skipped events (other event types, malformed input) are counted from the handler's log line.
    new logs.MetricFilter(this, 'SkippedEventsMetric', {
      logGroup: this.function.logGroup,
      metricNamespace: 'SageMakerIamRemediator',
      metricName: 'SkippedEvents',
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', SKIPPED_EVENT_MESSAGE),
      metricValue: '1',
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

  /** A Lambda built like every function of this construct: bundled ESM on the latest runtime, own logs. */
  private bundledFunction(
    id: string,
    entry: string,
    role: iam.IRole,
    retention: logs.RetentionDays,
    options: Pick<nodejs.NodejsFunctionProps, 'environment' | 'retryAttempts' | 'onFailure'>,
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = new nodejs.NodejsFunction(this, id, {
      ...options,
      entry,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      role,
      logGroup,
      environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: MAIN_FIELDS,
        banner: ESM_REQUIRE_BANNER,
        externalModules: UNUSED_CREDENTIAL_PROVIDERS,
      },
    });
    logGroup.grantWrite(role);
    return fn;
  }

  /**
   * Stored proposals, an approval Lambda, and the AWS Chatbot custom action that invokes it from the
   * channel's notifications.
   */
  private wireApprovals(
    slackChannel: chatbot.SlackChannelConfiguration,
    remediatorRole: iam.Role,
    logRetention: logs.RetentionDays,
  ): void {
    const { account, partition } = Stack.of(this);
    const proposals = this.expiringTable('ProposalsTable');
    proposals.grant(remediatorRole, 'dynamodb:PutItem');
    this.function.addEnvironment('PROPOSALS_TABLE_NAME', proposals.tableName);

    const approverRole = new iam.Role(this, 'ApproverRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator: attaches fixes a human approved in chat, after the guard',
    });
    const roles = `arn:${partition}:iam::${account}:role/*`;
    approverRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AttachApprovedFixes',
        actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:GetRolePolicy'],
        resources: [roles],
      }),
    );
    proposals.grant(approverRole, 'dynamodb:GetItem');
    this.grantPublish(approverRole);
    for (const finding of [`Resource::${roles}`]) {
      Validations.of(approverRole).acknowledge({
        id: iam5Finding(finding),
        reason:
          'A human approves a fix for whichever execution role failed, so any role of this account may be the ' +
          'target; the guard re-checks every approval.',
      });
    }
    const approver = this.bundledFunction('Approver', APPROVER_ENTRY, approverRole, logRetention, {
      environment: { PROPOSALS_TABLE_NAME: proposals.tableName, TOPIC_ARN: this.topic.topicArn },
    });

    const action = new chatbot.CfnCustomAction(this, 'ApplyFixAction', {
      actionName: 'apply-sagemaker-permission-fix',
      definition: {
        commandText: `lambda invoke --function-name ${approver.functionName} --payload {"proposalId": "$proposalId"}`,
      },
      attachments: [
        {
          notificationType: 'Custom',
          buttonText: 'Apply this fix',
          variables: { proposalId: 'event.metadata.additionalContext.proposalId' },
          criteria: [{ variableName: 'proposalId', operator: 'HAS_VALUE' }],
        },
      ],
    });
    slackChannel.addNotificationTopic(this.topic);
    const channel = slackChannel.node.defaultChild as chatbot.CfnSlackChannelConfiguration;
    channel.customizationResourceArns = [
      ...(channel.customizationResourceArns ?? []),
      action.attrCustomActionArn,
    ];
    // Only the function itself, not its versions (grantInvoke would add `ARN:*`).
    slackChannel.role?.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [approver.functionArn] }),
    );
  }

  /**
   * The organization's accounts may put events on this account's default bus, and the function may
   * assume the member role in any account of the organization.
   */
  private acceptOrganization(organizationId: string, memberRoleName: string, role: iam.Role): void {
    const { account, region, partition } = Stack.of(this);
    // The L2 EventBusPolicy cannot render a statement for the imported default bus; the L1 can.
    new events.CfnEventBusPolicy(this, 'OrganizationBusPolicy', {
      statementId: 'SageMakerFailuresFromTheOrganization',
      statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: `arn:${partition}:events:${region}:${account}:event-bus/default`,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
      },
    });
    const memberRoles = `arn:${partition}:iam::*:role/${memberRoleName}`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ActInMemberAccounts',
        actions: ['sts:AssumeRole'],
        resources: [memberRoles],
        conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
      }),
    );
    Validations.of(role).acknowledge({
      id: iam5Finding(`Resource::${memberRoles}`),
      reason:
        'The member role has one name in every account of the organization; aws:ResourceOrgID limits it to the organization.',
    });
    this.function.addEnvironment('MEMBER_ROLE_NAME', memberRoleName);
    this.function.addEnvironment('HOME_ACCOUNT_ID', account);
  }

  /** CloudWatch alarms can publish to an encrypted topic only with a customer managed key they may use. */
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

  private createTopic(): sns.Topic {
    const key = new kms.Key(this, 'TopicKey', {
      description: 'sagemaker-iam-remediator proposal topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topicKey = key;
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    return new sns.Topic(this, 'Topic', {
      displayName: 'SageMaker permission fixes',
      masterKey: key,
      enforceSSL: true,
    });
  }
}
