import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { JobType, JobTypeFacts } from '../lambdas/core/job-types.js';
import {
  API_CALL_DETAIL_TYPE,
  JOB_TYPES,
  SAGEMAKER_API_SOURCE,
  SAGEMAKER_EVENT_SOURCE,
} from '../lambdas/core/job-types.js';
import { PREFLIGHT_CALLS } from '../lambdas/core/preflight.js';
import { iam5Finding } from './nag.js';

/** Builds a function the way the rest of the stack builds its functions. */
export type FunctionFactory = (
  id: string,
  entry: string,
  role: iam.IRole,
  environment: Record<string, string>,
) => nodejs.NodejsFunction;

/** Properties of {@link PreflightCheck}. */
export interface PreflightCheckProps {
  /** Where "this job will fail" messages go; the caller grants the function's role publishing. */
  readonly topicArn: string;
  /** Events that could not be delivered to the function. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Builds the function (bundling, runtime, logs). */
  readonly createFunction: FunctionFactory;
  /** The job types checked at submission, each by its own Create call (an endpoint by CreateModel). */
  readonly jobTypes: readonly JobType[];
  /**
   * Stop a job whose failure is certain (an explicit deny in the role, its boundary or an
   * SCP, or a trust policy that does not let SageMaker assume the role). Never on an uncertain or
   * unverifiable result.
   * @default false
   */
  readonly stopOnPreflightFailure?: boolean;
}

const ENTRY = fileURLToPath(new URL('../lambdas/preflight/handler.ts', import.meta.url));

/**
 * Pre-flight on submission: a rule on the successful Create call of each enabled job type
 * (CloudTrail, so the account needs a trail logging management events) invokes a function that simulates the job's
 * execution role against everything its configuration needs, and publishes "this job will fail"
 * with the fix when it will, seconds after submission.
 */
export class PreflightCheck extends Construct {
  public readonly role: iam.Role;
  public readonly function: nodejs.NodejsFunction;
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: PreflightCheckProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);
    const stop = props.stopOnPreflightFailure ?? false;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagemaker-iam-remediator pre-flight: simulates submitted jobs execution roles',
    });
    const roles = `arn:${partition}:iam::${account}:role/*`;
    // Images may come from other accounts' registries: their repository policies are read where allowed.
    const repositories = `arn:${partition}:ecr:*:*:repository/*`;
    // Each job type that can be stopped, by its own Stop call on its own jobs.
    const stoppable = stop
      ? props.jobTypes.flatMap((type) => {
          const { stopCall, arnResourceType } = JOB_TYPES[type] as JobTypeFacts;
          return stopCall
            ? [
                {
                  action: `sagemaker:${stopCall}`,
                  resource: `arn:${partition}:sagemaker:${region}:${account}:${arnResourceType}/*`,
                },
              ]
            : [];
        })
      : [];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SimulateExecutionRoles',
        actions: ['iam:SimulatePrincipalPolicy', 'iam:GetRole'],
        resources: [roles],
      }),
    );
    // Submitted jobs' buckets are not known at deploy time; reads of other accounts' buckets fail by
    // the ExpectedBucketOwner the check sends, and are reported as unknown.
    const buckets = `arn:${partition}:s3:::*`;
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBucketDefaultEncryption',
        actions: ['s3:GetEncryptionConfiguration'],
        resources: [buckets],
        conditions: { StringEquals: { 's3:ResourceAccount': account } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRepositoryPolicies',
        actions: ['ecr:GetRepositoryPolicy'],
        resources: [repositories],
      }),
    );
    // A transform job runs as its model's role: the check reads the model the request names.
    const models = props.jobTypes.includes('transform')
      ? [`arn:${partition}:sagemaker:${region}:${account}:model/*`]
      : [];
    if (models.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadModelsOfTransformJobs',
          actions: ['sagemaker:DescribeModel'],
          resources: models,
        }),
      );
    }
    for (const { action, resource } of stoppable) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: `StopJobsThatWillFail${action.slice(action.indexOf(':') + 1)}`,
          actions: [action],
          resources: [resource],
        }),
      );
    }
    for (const resource of [
      roles,
      repositories,
      buckets,
      ...models,
      ...stoppable.map((entry) => entry.resource),
    ]) {
      Validations.of(this.role).acknowledge({
        id: iam5Finding(`Resource::${resource}`),
        reason:
          'Submitted jobs, their execution roles, buckets and images are not known at deploy time: the check reads any role ' +
          "and any bucket's default encryption of this account, any repository policy it is allowed to read, and stops only this account's jobs of the enabled types.",
      });
    }
    this.function = props.createFunction('PreflightFunction', ENTRY, this.role, {
      TOPIC_ARN: props.topicArn,
      STOP_ON_PREFLIGHT_FAILURE: String(stop),
    });
    this.rule = new events.Rule(this, 'SubmittedJobRule', {
      description: 'Submitted SageMaker jobs (CloudTrail) to the sagemaker-iam-remediator pre-flight check',
      // Only this account's and region's calls: the function reads roles and stops jobs by name, here.
      eventPattern: {
        source: [SAGEMAKER_EVENT_SOURCE],
        detailType: [API_CALL_DETAIL_TYPE],
        account: [account],
        region: [region],
        detail: {
          eventSource: [SAGEMAKER_API_SOURCE],
          recipientAccountId: [account],
          awsRegion: [region],
          eventName: props.jobTypes.map((type) => PREFLIGHT_CALLS[type]),
          errorCode: events.Match.doesNotExist(),
        },
      },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 2,
          // A verdict after the job has started is no longer pre-flight.
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });
  }
}
