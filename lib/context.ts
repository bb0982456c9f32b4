/**
 * Reads the constructs' props from CDK context (cdk.json or `-c key=value`). Values may be JSON
 * arrays (cdk.json) or comma-separated strings (the command line).
 */
import type { Node } from 'constructs';
import type { MemberAccountForwarderProps } from './member-account-forwarder.js';
import type { JobType, SageMakerPermissionRemediatorProps } from './sagemaker-permission-remediator.js';

const listOf = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  return [];
};
const flagOf = (node: Node, key: string): boolean => String(node.tryGetContext(key) ?? 'false') === 'true';
const stringOf = (node: Node, key: string): string | undefined => {
  const value: unknown = node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

function jobTypesOf(node: Node): JobType[] | undefined {
  const jobTypes = listOf(node.tryGetContext('jobTypes'));
  return jobTypes.length > 0 ? (jobTypes as JobType[]) : undefined;
}

export function remediatorPropsFromContext(node: Node): SageMakerPermissionRemediatorProps {
  const organizationId = stringOf(node, 'organizationId');
  return {
    notifyEmails: listOf(node.tryGetContext('notifyEmails')),
    autoRemediate: flagOf(node, 'autoRemediate'),
    allowedAccounts: listOf(node.tryGetContext('allowedAccounts')),
    roleNamePatterns: listOf(node.tryGetContext('roleNamePatterns')),
    jobTypes: jobTypesOf(node),
    dryRun: flagOf(node, 'dryRun'),
    watchApiDenials: flagOf(node, 'watchApiDenials'),
    central: organizationId ? { organizationId } : undefined,
    preflight: flagOf(node, 'preflight')
      ? { stopOnPreflightFailure: flagOf(node, 'stopOnPreflightFailure') }
      : undefined,
  };
}

/** The member-account shape, chosen with `-c memberOf=<central account id>`. */
export function forwarderPropsFromContext(node: Node): MemberAccountForwarderProps | undefined {
  const centralAccountId = stringOf(node, 'memberOf');
  if (!centralAccountId) return undefined;
  return {
    centralAccountId,
    jobTypes: jobTypesOf(node),
    watchApiDenials: flagOf(node, 'watchApiDenials'),
    allowRemediation: flagOf(node, 'autoRemediate'),
    roleNamePatterns: listOf(node.tryGetContext('roleNamePatterns')),
  };
}
