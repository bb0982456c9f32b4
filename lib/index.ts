/**
 * The package root (`import ... from 'sagemaker-iam-remediator'`): the constructs and stacks to add
 * to a CDK app. The diagnosis core is `sagemaker-iam-remediator/core`.
 */
export { SageMakerPermissionRemediator, MEMBER_ROLE_NAME } from './sagemaker-permission-remediator.js';
export type { JobType, SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';
export { RemediatorStack } from './remediator-stack.js';
export type { RemediatorStackProps } from './remediator-stack.js';
export { MemberAccountForwarder, MemberAccountStack } from './member-account-forwarder.js';
export type { MemberAccountForwarderProps, MemberAccountStackProps } from './member-account-forwarder.js';
export { RemediatorDashboard } from './dashboard.js';
export type { RemediatorDashboardProps } from './dashboard.js';
