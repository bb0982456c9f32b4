/**
 * Entry point of the approval Lambda that the AWS Chatbot custom actions invoke: "Apply this fix"
 * with `{"proposalId": "..."}`, "Undo this fix" with `{"undo": "<record id>"}`. It reads the remediator's own gates from the same environment variables
 * (ALLOWED_ACCOUNTS, ROLE_NAME_PATTERNS, ...) and, in central mode, MEMBER_ROLE_NAME and
 * HOME_ACCOUNT_ID. Clients are created once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { isUndoEvent } from '../core/grants.js';
import { parseArn } from '../core/job-context.js';
import { accountAccessOf } from '../remediator/aws/accounts.js';
import { CHAT_CLIENT } from '../remediator/aws/retry.js';
import { configFromEnv } from '../remediator/config.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../remediator/metric-names.js';
import { countApprovals } from '../remediator/metrics.js';
import type { ApprovalDependencies } from './approve.js';
import { approve } from './approve.js';
import { undo } from './undo.js';

const logger = new Logger({ serviceName: 'sagemaker-iam-remediator-approver' });
// The remediator's service name, so the dashboard finds approvals beside the other counts.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
// The approval replaces the AUTO_REMEDIATE switch: decideApproval ignores it.
const { proposalsTableName: table, central, ...config } = configFromEnv();
if (!table) throw new Error('PROPOSALS_TABLE_NAME must be set');
const proposalsTableName: string = table;
// Bounded calls: the chat command that invokes the approver waits about 15 seconds.
const clients = { sns: new SNSClient(CHAT_CLIENT), dynamodb: new DynamoDBClient(CHAT_CLIENT) };

let deps: Promise<ApprovalDependencies> | undefined;

/** The function's own account and region, from its ARN, unless central mode names the account. */
async function dependencies(context: Context): Promise<ApprovalDependencies> {
  const arn = parseArn(context.invokedFunctionArn);
  const environment = {
    accountId: central?.homeAccountId ?? arn?.accountId ?? '',
    region: arn?.region ?? '',
  };
  return {
    ...clients,
    accountAccess: await accountAccessOf(environment, central, CHAT_CLIENT),
    config: { ...config, proposalsTableName },
    logger,
  };
}

export const handler = middy(async (event: unknown, context: Context) => {
  const ready = await (deps ??= dependencies(context));
  return isUndoEvent(event) ? undo(event, ready) : approve(event, ready);
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(countApprovals(metrics));
