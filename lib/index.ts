/**
 * The package root (`import ... from 'sagemaker-iam-remediator'`): the constructs and stacks to add
 * to a CDK app. The diagnosis core is `sagemaker-iam-remediator/core`.
 *
 * The constructs need aws-cdk-lib, constructs, esbuild and the packages esbuild bundles into the
 * Lambda functions; the command needs none of them (it ships bundled). They are optional peer
 * dependencies, so installing the command does not pull them. A static import of a missing one would
 * fail before any code here runs, with Node's "Cannot find package"; loading the constructs
 * dynamically lets this say what to install instead.
 */
import { createRequire } from 'node:module';
import type * as Constructs from './constructs.js';

const require = createRequire(import.meta.url);

/** What the constructs need installed beside this package, in the app: its peer dependencies. */
const constructPeers = (): Record<string, string> =>
  (require('sagemaker-iam-remediator/package.json') as { peerDependencies: Record<string, string> })
    .peerDependencies;

/** The peers the app lacks (`name@range`), resolved as an import from this package resolves them. */
function missingPeers(): string[] {
  return Object.entries(constructPeers()).flatMap(([peer, range]) => {
    try {
      import.meta.resolve(peer);
      return [];
    } catch {
      return [`${peer}@${range}`];
    }
  });
}

async function loadConstructs(): Promise<typeof Constructs> {
  const missing = missingPeers();
  if (missing.length > 0) {
    throw new Error(
      `sagemaker-iam-remediator: the CDK constructs need ${missing.length} more package(s) in your app ` +
        `(the CDK, and what esbuild bundles into the Lambda functions): npm install --save-dev ${missing
          .map((peer) => `'${peer}'`)
          .join(' ')}`,
    );
  }
  return import('./constructs.js');
}

export const {
  SageMakerPermissionRemediator,
  MEMBER_ROLE_NAME,
  RemediatorStack,
  MemberAccountForwarder,
  MemberAccountStack,
  RemediatorDashboard,
} = await loadConstructs();
export type SageMakerPermissionRemediator = Constructs.SageMakerPermissionRemediator;
export type RemediatorStack = Constructs.RemediatorStack;
export type MemberAccountForwarder = Constructs.MemberAccountForwarder;
export type MemberAccountStack = Constructs.MemberAccountStack;
export type RemediatorDashboard = Constructs.RemediatorDashboard;
export type {
  JobType,
  MemberAccountForwarderProps,
  MemberAccountStackProps,
  RemediatorDashboardProps,
  RemediatorStackProps,
  SageMakerPermissionRemediatorProps,
} from './constructs.js';
