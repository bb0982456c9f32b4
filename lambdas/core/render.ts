/**
 * Renders a diagnosis and its proposal three ways: plain text (email, SNS default), an AWS Chatbot
 * custom notification (Slack), and JSON. Pure functions of their input.
 */
import type { FixProposal } from './propose.js';
import type { NonPermissionDiagnosis, PermissionDiagnosis } from './types.js';

/** What the pipeline produced for one failure: a proposal exactly when it is a permission problem. */
export type Outcome =
  | { readonly kind: 'permission'; readonly diagnosis: PermissionDiagnosis; readonly proposal: FixProposal }
  | { readonly kind: 'not-permission'; readonly diagnosis: NonPermissionDiagnosis };

export const OUTPUT_FORMATS = ['text', 'json', 'slack'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The AWS Chatbot custom notification schema (version 1.0); Chatbot drops malformed ones silently. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
  readonly metadata?: {
    readonly threadId?: string;
    readonly summary?: string;
    readonly eventType?: string;
    readonly relatedResources?: readonly string[];
    readonly additionalContext?: Readonly<Record<string, string>>;
  };
}

export function renderText(outcome: Outcome): string {
  if (outcome.kind === 'not-permission') {
    const { diagnosis } = outcome;
    return `${diagnosis.jobName ?? 'SageMaker job'}: not a permission problem (${diagnosis.category}): ${diagnosis.summary}.\nNo IAM change is proposed.`;
  }
  const { proposal } = outcome;
  const lines = [proposal.title, '', proposal.explanation];
  if (proposal.policy) {
    lines.push(
      '',
      'Policy:',
      JSON.stringify(proposal.policy, null, 2),
      '',
      'Command:',
      proposal.command ?? '',
    );
  }
  return lines.join('\n');
}

/** Chatbot limits descriptions to a few thousand characters; the policy goes in full only when it fits. */
const CHATBOT_DESCRIPTION_LIMIT = 3_500;

/**
 * @param proposalId - set when a human may approve the proposal from the channel: the custom action
 *   button reads it from `metadata.additionalContext.proposalId`.
 */
export function renderChatbot(outcome: Outcome, proposalId?: string): ChatbotNotification {
  const { diagnosis } = outcome;
  const relatedResources = diagnosis.roleArn ? [diagnosis.roleArn] : [];
  const metadata = {
    threadId: diagnosis.jobName ?? 'sagemaker-iam-remediator',
    eventType: 'SageMakerPermissionFailure',
    relatedResources,
  };
  if (outcome.kind === 'not-permission') {
    return {
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: `${diagnosis.jobName ?? 'SageMaker job'}: not a permission problem`,
        description: `${outcome.diagnosis.summary} (\`${outcome.diagnosis.category}\`). No IAM change is proposed.`,
        keywords: [outcome.diagnosis.category],
      },
      metadata: { ...metadata, summary: outcome.diagnosis.summary },
    };
  }
  const { proposal } = outcome;
  const policyBlock = proposal.policy ? `\n\`\`\`\n${JSON.stringify(proposal.policy, null, 1)}\n\`\`\`` : '';
  const description = `${proposal.explanation}${policyBlock}`;
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: proposal.title,
      description:
        description.length <= CHATBOT_DESCRIPTION_LIMIT
          ? description
          : `${description.slice(0, CHATBOT_DESCRIPTION_LIMIT)}\n…`,
      nextSteps: proposal.command
        ? [`Run: \`${proposal.command}\``, ...proposal.advice]
        : [...proposal.advice],
      keywords: [
        proposal.fixLocation,
        proposal.certainty,
        ...new Set(proposal.findings.map((f) => f.channel)),
      ],
    },
    metadata: {
      ...metadata,
      summary: proposal.title,
      additionalContext: {
        fixLocation: proposal.fixLocation,
        certainty: proposal.certainty,
        ...(proposalId ? { proposalId } : {}),
      },
    },
  };
}

/** JSON: the proposal (its `policy` is the IAM policy document), or the non-permission verdict. */
export function renderJson(outcome: Outcome): unknown {
  if (outcome.kind === 'not-permission') {
    const { kind: _kind, ...verdict } = outcome.diagnosis;
    return { isPermission: false, ...verdict };
  }
  return { isPermission: true, ...outcome.proposal };
}

export function render(outcome: Outcome, format: OutputFormat): string {
  switch (format) {
    case 'text':
      return renderText(outcome);
    case 'slack':
      return JSON.stringify(renderChatbot(outcome), null, 2);
    case 'json':
      return JSON.stringify(renderJson(outcome), null, 2);
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}
