/** The constructs and stacks to add to a CDK app, loaded by lib/index.ts once its peers are there. */
export { SageMakerPermissionRemediator, MEMBER_ROLE_NAME } from './sagemaker-permission-remediator.js';
export type { JobType, SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';
export { RemediatorStack } from './remediator-stack.js';
export type { RemediatorStackProps } from './remediator-stack.js';
export { MemberAccountForwarder, MemberAccountStack } from './member-account-forwarder.js';
export type { MemberAccountForwarderProps, MemberAccountStackProps } from './member-account-forwarder.js';
export { RemediatorDashboard } from './dashboard.js';
export type { RemediatorDashboardProps } from './dashboard.js';
