/** Test fixtures read from the repository, so a clean clone tests without ../shared. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EVENTS_DIR = fileURLToPath(new URL('../../examples/events/', import.meta.url));
export const CORPUS_PATH = fileURLToPath(new URL('../fixtures/corpus/dev.jsonl', import.meta.url));

export interface CorpusItem {
  readonly id: string;
  readonly failureReason: string;
  readonly isPermission: boolean | null;
  readonly ambiguous?: boolean;
  readonly expectedActions: readonly string[];
  readonly acceptableActions?: readonly string[];
  readonly fixLocation?: string;
}

export const readEvent = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`${EVENTS_DIR}${name}`, 'utf8')) as Record<string, unknown>;

export const eventNames = (): string[] =>
  readdirSync(EVENTS_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort();

export const readCorpus = (): CorpusItem[] =>
  readFileSync(CORPUS_PATH, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as CorpusItem);

/**
 * The sample CloudTrail record of CreateTrainingJob as it reads when the call succeeded, in
 * `account`, for the job `jobName` under `roleArn`: what the pre-flight rule delivers.
 */
export function submittedTrainingJob(jobName: string, roleArn: string, account: string): unknown {
  const event = JSON.parse(
    JSON.stringify(readEvent('cloudtrail-createtrainingjob-passrole-denied.json')).replaceAll(
      '111122223333',
      account,
    ),
  ) as { detail: Record<string, unknown> };
  const { errorCode: _code, errorMessage: _message, requestParameters, ...detail } = event.detail;
  return {
    ...event,
    detail: {
      ...detail,
      requestParameters: { ...(requestParameters as object), trainingJobName: jobName, roleArn },
      responseElements: {
        trainingJobArn: `arn:aws:sagemaker:us-east-1:${account}:training-job/${jobName}`,
      },
    },
  };
}
