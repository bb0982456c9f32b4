/**
 * The diagnosis core's public surface: pure functions shared by the Lambda and the CLI.
 */
import { diagnose } from './diagnose.js';
import { propose } from './propose.js';
import type { Outcome } from './render.js';
import type { JobContext } from './types.js';

/**
 * Diagnoses a failure text and, for a permission problem, builds the fix proposal; `expiresAt` is
 * when its statements would expire once written.
 */
export function analyse(reason: string, job?: JobContext, options: { expiresAt?: string } = {}): Outcome {
  const diagnosis = diagnose(reason, job);
  return diagnosis.kind === 'permission'
    ? { kind: 'permission', diagnosis, proposal: propose(diagnosis, undefined, options), job }
    : { kind: 'not-permission', diagnosis, job };
}

export { actionsOf, diagnose, fixLocationOf, MAX_ANALYSED_LENGTH } from './diagnose.js';
export { InvalidInputError, NotAFailureError, RemediatorError } from './errors.js';
export { failedJobFromInput, jobContextFromDescription } from './job-context.js';
export { JOB_TYPE_NAMES, JOB_TYPES } from './job-types.js';
export { propose } from './propose.js';
export type { FixProposal, PolicyDocument, PolicyStatement } from './propose.js';
export { OUTPUT_FORMATS, render, renderChatbot, renderJson, renderText } from './render.js';
export type { ChatbotNotification, Outcome, OutputFormat } from './render.js';
export type * from './types.js';
