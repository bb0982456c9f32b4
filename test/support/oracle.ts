/**
 * An independent judge of proposals: @cloud-copilot/iam-simulate (AGPL-3.0, a devDependency used
 * only here, never shipped) evaluates the role's identity policies as read back from the server.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

export interface OracleRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
}

export type OracleDecision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export async function identityDecision(
  principalArn: string,
  accountId: string,
  policies: Record<string, unknown>,
  request: OracleRequest,
): Promise<OracleDecision> {
  const response = await runSimulation(
    {
      identityPolicies: Object.entries(policies).map(([name, policy]) => ({ name, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
      request: {
        principal: principalArn,
        action: request.action,
        resource: { accountId, resource: request.resource },
        // IAM always knows the time; a request may pin it (expiry tests).
        contextVariables: { 'aws:CurrentTime': new Date().toISOString(), ...request.context },
      },
    },
    {},
  );
  if (response.resultType !== 'single') throw new Error(`oracle: ${JSON.stringify(response)}`);
  // The identity policies' verdict: a KMS key policy, for one, is not the role's to grant.
  return response.result.analysis?.identityAnalysis?.result as OracleDecision;
}

/**
 * The whole decision on a request: the principal's identity policies and the resource's own policy
 * (a repository, bucket or key policy), across accounts when the resource's account differs.
 */
export async function requestDecision(
  principalArn: string,
  policies: Record<string, unknown>,
  resourcePolicy: unknown,
  request: OracleRequest & { readonly resourceAccount: string },
): Promise<OracleDecision> {
  const response = await runSimulation(
    {
      identityPolicies: Object.entries(policies).map(([name, policy]) => ({ name, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
      request: {
        principal: principalArn,
        action: request.action,
        resource: { accountId: request.resourceAccount, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    },
    {},
  );
  if (response.resultType !== 'single') throw new Error(`oracle: ${JSON.stringify(response)}`);
  return response.result.analysis?.result as OracleDecision;
}
