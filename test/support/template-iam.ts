/**
 * A synthesized role's permissions, decided by a real IAM policy evaluator (@cloud-copilot/iam-simulate,
 * AGPL-3.0, a devDependency used only in tests): the policies the template attaches to the role,
 * with the intrinsics a template test meets resolved as CloudFormation would in the given
 * environment.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';

export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The value CloudFormation gives an intrinsic; a resource's Ref or GetAtt becomes a readable stand-in. */
export function resolve(value: unknown, env: Environment): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(item, env));
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const pseudo: Record<string, string> = {
      'AWS::Partition': env.partition ?? 'aws',
      'AWS::AccountId': env.account,
      'AWS::Region': env.region,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[String(object.Ref)] ?? `ref:${String(object.Ref)}`;
  }
  if ('Fn::GetAtt' in object) return `getatt:${(object['Fn::GetAtt'] as string[]).join('.')}`;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolve(part, env))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolve(item, env)]));
}

/** The logical id of the one role whose id contains `name`. */
export function roleId(template: Template, name: string): string {
  const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.includes(name));
  if (ids.length !== 1) throw new Error(`expected one role named like ${name}, found ${ids.join(', ')}`);
  return ids[0] ?? '';
}

/** Every policy document the template attaches to the role (inline policies and AWS::IAM::Policy). */
export function roleDocuments(template: Template, role: string, env: Environment): unknown[] {
  const resources = template.toJSON().Resources as Resources;
  const inline = ((resources[role]?.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map(
    (policy) => policy.PolicyDocument,
  );
  const attached = Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(resource.Properties?.Roles ?? []).includes(`"Ref":"${role}"`),
    )
    .map((resource) => resource.Properties?.PolicyDocument);
  return [...inline, ...attached].map((document) => resolve(document, env));
}

/** Whether the documents allow the action on the resource, with these request context values. */
export function allows(
  documents: readonly unknown[],
  env: Environment,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): boolean {
  const decision = runUnsafeSimulation(
    {
      identityPolicies: documents.map((policy, n) => ({ name: `policy-${n}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:${env.partition ?? 'aws'}:iam::${env.account}:role/under-test`,
        action,
        resource: { accountId: env.account, resource },
        contextVariables: context,
      },
    } as never,
    {},
  );
  return decision === 'Allowed';
}
