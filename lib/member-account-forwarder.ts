import type { StackProps } from 'aws-cdk-lib';
import {
  BootstraplessSynthesizer,
  CfnCondition,
  CfnResource,
  Fn,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import { iam5Finding } from './nag.js';
import type { CentralRoleNames, JobType } from './sagemaker-permission-remediator.js';
import {
  CENTRAL_ROLE_NAMES,
  denyWritingOwnRoles,
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
   * The central stack's home region: the rules of every region this stack is deployed in send their
   * failure events to the central default bus there (an EventBridge cross-Region target, through
   * the rule's role), and the member role is created there only (see `memberRoleRegion`).
   * @default - the region this stack is deployed in
   */
  readonly centralRegion?: string;
  /**
   * Where failure events go.
   * @default - the central account's default event bus in `centralRegion`
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
   * Let the central function and approver attach fixes in this account: to roles matching
   * `roleNamePatterns` (under any path) and to roles tagged `sagemaker-iam-remediator:auto=true`.
   * @default false - the central function may only read
   */
  readonly allowRemediation?: boolean;
  /**
   * Role-name globs the central function may attach fixes to, with `allowRemediation`.
   * @default - none: only roles carrying the opt-in tag
   */
  readonly roleNamePatterns?: readonly string[];
  /**
   * Name of the role the central function assumes; the same in every account.
   * @default 'sagemaker-iam-remediator-member'
   */
  readonly memberRoleName?: string;
  /**
   * Names of the central account's function and approver roles: the member role trusts exactly these
   * (`aws:PrincipalArn`), not the whole central account.
   * @default - the central construct's defaults, see CENTRAL_ROLE_NAMES
   */
  readonly centralRoleNames?: CentralRoleNames;
  /**
   * IAM names are account-wide: when one template is deployed to several regions of an account (a
   * StackSet), create the member role only in this region. The rules of every region still forward.
   * @default - `centralRegion` when given, else the role is created wherever the stack is deployed
   */
  readonly memberRoleRegion?: string;
}

/** A region name such as `us-east-1` or `us-gov-west-1`. */
export const isRegionName = (text: string): boolean => /^[a-z]{2}(-[a-z]+)+-\d$/.test(text);

export function validateForwarderProps(props: MemberAccountForwarderProps): string[] {
  const rules: [boolean, string][] = [
    [
      !Token.isUnresolved(props.centralAccountId) && !/^\d{12}$/.test(props.centralAccountId),
      'centralAccountId must be a 12-digit account id',
    ],
    [
      (props.roleNamePatterns ?? []).some((pattern) => !/^[\w+=,.@*-]+$/.test(pattern)),
      'roleNamePatterns may use role-name characters and * only',
    ],
    [
      props.memberRoleRegion !== undefined && !isRegionName(props.memberRoleRegion),
      'memberRoleRegion must be a region name such as us-east-1',
    ],
    [
      props.centralRegion !== undefined && !isRegionName(props.centralRegion),
      'centralRegion must be a region name such as us-east-1',
    ],
  ];
  return rules.filter(([broken]) => broken).map(([, message]) => message);
}

/**
 * Deployed in each member account of an organization: forwards SageMaker failure events to the
 * central remediator's bus (undeliverable ones wait in a dead-letter queue here), and gives the
 * central function and approver a role here: read-only by default, PutRolePolicy on matching roles
 * only when this account opts in.
 */
export class MemberAccountForwarder extends Construct {
  public readonly role: iam.Role;
  public readonly rules: readonly events.Rule[];
  /** Failure events the central bus did not accept after retries. */
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: MemberAccountForwarderProps) {
    super(scope, id);
    const problems = validateForwarderProps(props);
    if (problems.length > 0) throw new Error(`MemberAccountForwarder: ${problems.join('; ')}`);
    const { account, region, partition } = Stack.of(this);
    const jobTypes = props.jobTypes ?? ['training'];

    const centralBus = events.EventBus.fromEventBusArn(
      this,
      'CentralBus',
      props.centralEventBusArn ??
        `arn:${partition}:events:${props.centralRegion ?? region}:${props.centralAccountId}:event-bus/default`,
    );
    this.deadLetterQueue = deadLetterQueue(this, 'the forwarding rules');
    this.rules = failureEventRules(
      this,
      jobTypes,
      props.watchApiDenials ?? false,
      new targets.EventBus(centralBus, { deadLetterQueue: this.deadLetterQueue }),
    );

    const centralRole = (name: string) => `arn:${partition}:iam::${props.centralAccountId}:role/${name}`;
    const memberRoleName = props.memberRoleName ?? MEMBER_ROLE_NAME;
    this.role = new iam.Role(this, 'CentralAccessRole', {
      roleName: memberRoleName,
      // The account principal only names where callers come from; the condition says which ones.
      assumedBy: new iam.AccountPrincipal(props.centralAccountId).withConditions({
        ArnEquals: {
          'aws:PrincipalArn': [
            centralRole(props.centralRoleNames?.function ?? CENTRAL_ROLE_NAMES.function),
            centralRole(props.centralRoleNames?.approver ?? CENTRAL_ROLE_NAMES.approver),
          ],
        },
      }),
      description: 'sagemaker-iam-remediator (central account) reads failed jobs and roles here',
    });
    const wildcards = [
      // One role for the jobs of every region the stack set covers.
      ...grantReadFailures(this.role, jobTypes, '*'),
      ...(props.allowRemediation ? grantAttachFixes(this.role, props.roleNamePatterns ?? []) : []),
    ];
    if (props.allowRemediation)
      denyWritingOwnRoles(this.role, [`arn:${partition}:iam::${account}:role/${memberRoleName}`]);
    const roleRegion = props.memberRoleRegion ?? props.centralRegion;
    if (roleRegion) this.createRoleOnlyIn(roleRegion);
    for (const resource of wildcards) {
      Validations.of(this.role).acknowledge({
        id: iam5Finding(`Resource::${resource}`),
        reason:
          "Failed jobs and their roles are not known at deploy time; reads cover this account's jobs and roles, writes only opted-in role names.",
      });
    }
  }

  /** The member role and its policies exist only in one region; the stack's other resources everywhere. */
  private createRoleOnlyIn(region: string): void {
    const condition = new CfnCondition(this, 'MemberRoleRegion', {
      expression: Fn.conditionEquals(Stack.of(this).region, region),
    });
    for (const child of this.role.node.findAll())
      if (child instanceof CfnResource) child.cfnOptions.condition = condition;
  }
}

export interface MemberAccountStackProps extends StackProps {
  readonly forwarder: MemberAccountForwarderProps;
}

/**
 * A deployable stack with one {@link MemberAccountForwarder}, for StackSets or per-account deploys.
 * Synthesized bootstrapless (no `BootstrapVersion` parameter, no `CheckBootstrapVersion` rule): a
 * StackSet's target accounts are usually not CDK-bootstrapped, and the stack has no assets.
 */
export class MemberAccountStack extends Stack {
  public constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    super(scope, id, { ...props, synthesizer: props.synthesizer ?? new BootstraplessSynthesizer() });
    new MemberAccountForwarder(this, 'Forwarder', props.forwarder);
  }
}
