/**
 * Reads the construct's props from CDK context (cdk.json or `-c key=value`). Values may be JSON
 * arrays (cdk.json) or comma-separated strings (the command line).
 */
import type { Node } from 'constructs';
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

export function remediatorPropsFromContext(node: Node): SageMakerPermissionRemediatorProps {
  const jobTypes = listOf(node.tryGetContext('jobTypes'));
  return {
    notifyEmails: listOf(node.tryGetContext('notifyEmails')),
    autoRemediate: String(node.tryGetContext('autoRemediate') ?? 'false') === 'true',
    allowedAccounts: listOf(node.tryGetContext('allowedAccounts')),
    roleNamePatterns: listOf(node.tryGetContext('roleNamePatterns')),
    jobTypes: jobTypes.length > 0 ? (jobTypes as JobType[]) : undefined,
    dryRun: String(node.tryGetContext('dryRun') ?? 'false') === 'true',
    watchApiDenials: String(node.tryGetContext('watchApiDenials') ?? 'false') === 'true',
  };
}
