/**
 * The README's "How it runs in your account" against the templates: what each variant creates, and
 * the job-type list against lambdas/core/job-types.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Stack } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOB_TYPE_NAMES, JOB_TYPES } from '../../lambdas/core/job-types.js';
import { MemberAccountStack } from '../../lib/member-account-forwarder.js';
import type { RemediatorStackProps } from '../../lib/remediator-stack.js';
import { RemediatorStack } from '../../lib/remediator-stack.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const SECTION = README.slice(README.indexOf('## How it runs in your account'), README.indexOf('```mermaid'));

/** The resource types a variant's bullet names, by the bullet's bold title. */
const namedTypes = (title: string): string[] => {
  const start = SECTION.indexOf(`- **${title}**`);
  const end = SECTION.indexOf('\n- **', start + 1);
  const bullet = SECTION.slice(start, end < 0 ? undefined : end);
  return [...new Set([...bullet.matchAll(/`(AWS::\w+::\w+)`/g)].map((m) => m[1] ?? ''))].sort();
};
const typesOf = (stack: Stack): string[] =>
  [
    ...new Set(
      Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>).map(
        (r) => r.Type,
      ),
    ),
  ].sort();
const remediator = (props: RemediatorStackProps) =>
  typesOf(new RemediatorStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Readme', props));

describe('README: how it runs in your account', () => {
  const single = remediator({});
  const added = (props: RemediatorStackProps) => remediator(props).filter((type) => !single.includes(type));

  it('lists what each variant creates', () => {
    expect(namedTypes('Single account')).toEqual(single);
    expect(namedTypes('Approvals in Slack')).toEqual(
      added({
        remediator: { allowedAccounts: ['111122223333'] },
        slack: { workspaceId: 'T0123456789', channelId: 'C0123456789' },
      }),
    );
    expect(namedTypes('CloudTrail denials')).toEqual(['AWS::Events::Rule']);
    expect(added({ remediator: { watchApiDenials: true } })).toEqual([]);
    expect(namedTypes('Organization, central account')).toEqual(
      added({ remediator: { central: { organizationId: 'o-abc123def4' } } }),
    );
    expect(namedTypes('Organization, member account')).toEqual(
      typesOf(
        new MemberAccountStack(new App(), 'ReadmeMember', {
          forwarder: { centralAccountId: '111122223333' },
        }),
      ),
    );
  });

  it('lists every row of the job-type table with its detail-type, status, Describe and Create calls', () => {
    for (const type of JOB_TYPE_NAMES) {
      const row = JOB_TYPES[type];
      const line = SECTION.split('\n').find((l) => l.startsWith(`| \`${type}\``)) ?? '';
      expect(line).toContain(`\`${row.detailType}\``);
      expect(line).toContain(`\`${row.statusField}: ${row.failedStatus}\``);
      for (const { operation } of row.describe) expect(line).toContain(`\`${operation}\``);
      const create = 'createCall' in row ? `\`${row.createCall}\`` : 'none';
      expect(line).toContain(create);
    }
  });
});
