import type { StackProps } from 'aws-cdk-lib';
import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { iam5Finding } from './nag.js';
import type { JobType } from './sagemaker-permission-remediator.js';
import {
  failureEventRules,
  grantAttachFixes,
  grantReadFailures,
  MEMBER_ROLE_NAME,
} from './sagemaker-permission-remediator.js';

/** Properties of {@link MemberAccountForwarder}. */
export interface MemberAccountForwarderProps {
  /** The account that runs the remediator in central mode. */
  readonly centralAccountId: string;
  /**
   * Where failure events go.
   * @default - the central account's default event bus in this region
   */
  readonly centralEventBusArn?: string;
  /**
   * Job types whose failures are forwarded; match the central deployment.
   * @default ['training']
   */
  readonly jobTypes?: readonly JobType[];
  /**
   * Also forward denied Create*Job calls recorded by CloudTrail.
   * @default false
   */
  readonly watchApiDenials?: boolean;
  /**
   * Let the central function attach fixes in this account (roles matching `roleNamePatterns` only).
   * @default false - the central function may only read
   */
  readonly allowRemediation?: boolean;
  /**
   * Role-name globs the central function may attach fixes to. Required with `allowRemediation`.
   * @default - none
   */
  readonly roleNamePatterns?: readonly string[];
  /**
   * Name of the role the central function assumes; the same in every account.
   * @default 'sagemaker-iam-remediator-member'
   */
  readonly memberRoleName?: string;
}

export function validateForwarderProps(props: MemberAccountForwarderProps): string[] {
  const rules: [boolean, string][] = [
    [
      !Token.isUnresolved(props.centralAccountId) && !/^\d{12}$/.test(props.centralAccountId),
      'centralAccountId must be a 12-digit account id',
    ],
    [
      Boolean(props.allowRemediation) && (props.roleNamePatterns ?? []).length === 0,
      'allowRemediation needs roleNamePatterns',
    ],
    [
      (props.roleNamePatterns ?? []).some((pattern) => !/^[\w+=,.@*-]+$/.test(pattern)),
      'roleNamePatterns may use role-name characters and * only',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, message]) => message);
}

/**
 * Deployed in each member account of an organization: forwards SageMaker failure events to the
 * central remediator's bus, and gives the central function a role here: read-only by default,
 * PutRolePolicy on matching roles only when this account opts in.
 */
export class MemberAccountForwarder extends Construct {
  public readonly role: iam.Role;
  public readonly rules: readonly events.Rule[];

  public constructor(scope: Construct, id: string, props: MemberAccountForwarderProps) {
    super(scope, id);
    const problems = validateForwarderProps(props);
    if (problems.length > 0) throw new Error(`MemberAccountForwarder: ${problems.join('; ')}`);
    const { region, partition } = Stack.of(this);
    const jobTypes = props.jobTypes ?? ['training'];

    const centralBus = events.EventBus.fromEventBusArn(
      this,
      'CentralBus',
      props.centralEventBusArn ??
        `arn:${partition}:events:${region}:${props.centralAccountId}:event-bus/default`,
    );
    this.rules = failureEventRules(
      this,
      jobTypes,
      props.watchApiDenials ?? false,
      new targets.EventBus(centralBus),
    );

    this.role = new iam.Role(this, 'CentralAccessRole', {
      roleName: props.memberRoleName ?? MEMBER_ROLE_NAME,
      assumedBy: new iam.AccountPrincipal(props.centralAccountId),
      description: 'sagemaker-iam-remediator (central account) reads failed jobs and roles here',
    });
    const wildcards = [
      ...grantReadFailures(this.role, jobTypes),
      ...(props.allowRemediation ? grantAttachFixes(this.role, props.roleNamePatterns ?? []) : []),
    ];
    for (const resource of wildcards) {
      Validations.of(this.role).acknowledge({
        id: iam5Finding(`Resource::${resource}`),
        reason:
          "Failed jobs and their roles are not known at deploy time; reads cover this account's jobs and roles, writes only opted-in role names.",
      });
    }
  }
}

export interface MemberAccountStackProps extends StackProps {
  readonly forwarder: MemberAccountForwarderProps;
}

/** A deployable stack with one {@link MemberAccountForwarder}, for StackSets or per-account deploys. */
export class MemberAccountStack extends Stack {
  public constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    super(scope, id, props);
    new MemberAccountForwarder(this, 'Forwarder', props.forwarder);
  }
}
