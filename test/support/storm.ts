/**
 * An alert storm on the real server, shared by the storm test and `npm run bench`: hundreds of
 * failed-job events of one cause and a few of other causes, sent by concurrent callers to the real
 * handler (real DynamoDB, SNS, SQS on moto), then the scheduled flush when the window has closed.
 *
 * Lambda's asynchronous invocation is reproduced around the in-process handler: a failed invocation is
 * retried twice, then its event goes to a dead-letter queue on the server, as the construct's
 * `retryAttempts: 2` and `onFailure` do; the callers are as many as the function's reserved
 * concurrency.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { FLUSH_INCIDENTS_EVENT } from '../../lambdas/core/incident.js';
import { buildHandler } from '../../lambdas/remediator/app.js';
import { CLIENT_RETRY } from '../../lambdas/remediator/aws/retry.js';
import { homeAccountAccess } from '../../lambdas/remediator/aws/accounts.js';
import { MOTO_HOME } from './moto.js';
import { incidentStoreFrom } from '../../lambdas/remediator/aws/incidents.js';
import type { RemediatorConfig } from '../../lambdas/remediator/config.js';
import type { Dependencies } from '../../lambdas/remediator/remediate.js';
import { lambdaContext } from '../helpers/lambda.js';
import type { Delivered, World } from './world.js';
import { motoEvent } from './world.js';

/** The construct's `retryAttempts` for asynchronous invocations. */
const LAMBDA_RETRIES = 2;

export interface StormPlan {
  /** Events of the storm's one cause. */
  readonly stormJobs: number;
  /** Events of each other cause. */
  readonly otherCauses: readonly {
    readonly file: string;
    readonly account?: string;
    readonly jobs: number;
  }[];
  /** Concurrent callers: the function's reserved concurrency. */
  readonly concurrency: number;
  readonly windowMinutes: number;
}

export const STORM_PLAN: StormPlan = {
  stormJobs: 500,
  otherCauses: [
    // Another policy for the same role.
    { file: 'training-kms-output-denied.json', jobs: 7 },
    // The storm's cause, but in another account: another cause.
    { file: 'training-s3-output-access-denied.json', account: '210987654321', jobs: 7 },
    // A block an Allow cannot lift: no policy, the fix location and the denied request are the cause.
    { file: 'training-scp-explicit-deny.json', jobs: 6 },
  ],
  concurrency: 10,
  windowMinutes: 15,
};

/** A copy of a sample event for another job: its own name and ARN, hence its own idempotency key. */
function eventFor(file: string, account: string | undefined, jobName: string): Record<string, unknown> {
  const event = motoEvent(file, account);
  const detail = event.detail as Record<string, unknown>;
  const arn = String(detail.TrainingJobArn).replace(/training-job\/.*/, `training-job/${jobName}`);
  return {
    ...event,
    id: `${jobName}-event`,
    detail: { ...detail, TrainingJobName: jobName, TrainingJobArn: arn },
  };
}

/** Every event of the plan, labelled with its cause, the storm's cause first, interleaved by index. */
export function stormEvents(plan: StormPlan): { cause: string; jobName: string; event: unknown }[] {
  const causes = [
    {
      cause: 'storm',
      file: 'training-s3-output-access-denied.json',
      account: undefined,
      jobs: plan.stormJobs,
    },
    ...plan.otherCauses.map((other, index) => ({ cause: `other-${index + 1}`, ...other })),
  ];
  const all = causes.flatMap(({ cause, file, account, jobs }) =>
    Array.from({ length: jobs }, (_, index) => {
      const jobName = `${cause}-shard-${String(index).padStart(3, '0')}`;
      return { cause, jobName, index, event: eventFor(file, account, jobName) };
    }),
  );
  return all
    .sort((a, b) => a.index - b.index)
    .map(({ cause, jobName, event }) => ({ cause, jobName, event }));
}

export interface StormRun {
  /** Handler time per event, milliseconds, sorted. */
  readonly latenciesMs: readonly number[];
  /** Invocations that failed even after Lambda's retries. */
  readonly deadLettered: number;
  readonly wallMs: number;
}

/**
 * DynamoDB applies each request to an item atomically, one after the other; moto's server reads,
 * changes and writes an item without a lock, so two concurrent requests to one item can overwrite each
 * other. This gives each item DynamoDB's one-request-at-a-time: requests to one item wait for each
 * other, requests to different items run concurrently, and the invocations interleave between their
 * requests as they would on AWS.
 */
function serialisePerItem(client: DynamoDBClient): void {
  const tails = new Map<string, Promise<unknown>>();
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TableName?: string; Key?: unknown; Item?: { id?: unknown } };
      const item = `${input.TableName ?? ''}/${JSON.stringify(input.Key ?? input.Item?.id ?? null)}`;
      const previous = tails.get(item) ?? Promise.resolve();
      const result = previous.catch(() => undefined).then(() => next(args));
      tails.set(item, result);
      try {
        return await result;
      } finally {
        if (tails.get(item) === result) tails.delete(item);
      }
    },
    { step: 'initialize', name: 'serialisePerItem' },
  );
}

/** The real handler on the server, its clock under the caller's control, Lambda's retries around it. */
export class StormRig {
  public clock = Date.now();
  public dlqUrl = '';
  private readonly handler: (event: unknown) => Promise<unknown>;

  public constructor(
    private readonly world: World,
    windowMinutes: number,
    overrides: Partial<RemediatorConfig> = {},
  ) {
    const logger = new Logger({ serviceName: 'storm', logLevel: 'SILENT' });
    const config = world.config({ incidentWindowMinutes: windowMinutes, ...overrides });
    const dynamodb = new DynamoDBClient(CLIENT_RETRY);
    serialisePerItem(dynamodb);
    const deps: Dependencies = {
      accountAccess: homeAccountAccess(MOTO_HOME, { sagemaker: world.sagemaker, iam: world.iam }),
      sns: world.sns,
      dynamodb,
      config,
      logger,
      incidents: incidentStoreFrom(config, {
        dynamodb,
        sns: world.sns,
        logger,
        now: () => this.clock,
      }),
    };
    const handler = buildHandler(deps, logger);
    this.handler = (event) => handler(event, lambdaContext());
  }

  public async create(): Promise<this> {
    this.dlqUrl =
      (await this.world.sqs.send(new CreateQueueCommand({ QueueName: 'remediator-dlq' }))).QueueUrl ?? '';
    return this;
  }

  /** One asynchronous invocation: the handler, retried as Lambda does, then the dead-letter queue. */
  public async invoke(event: unknown): Promise<boolean> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= LAMBDA_RETRIES; attempt += 1) {
      try {
        await this.handler(event);
        return true;
      } catch (error) {
        lastError = error;
      }
    }
    await this.world.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: JSON.stringify({ event, error: (lastError as Error).message }),
      }),
    );
    return false;
  }

  /** Sends the events from `concurrency` callers, each taking the next event when it is done. */
  public async send(events: readonly unknown[], concurrency: number): Promise<StormRun> {
    const latencies: number[] = [];
    let next = 0;
    let deadLettered = 0;
    const started = performance.now();
    const caller = async (): Promise<void> => {
      while (next < events.length) {
        const event = events[next];
        next += 1;
        const t0 = performance.now();
        if (!(await this.invoke(event))) deadLettered += 1;
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
    return {
      latenciesMs: latencies.sort((a, b) => a - b),
      deadLettered,
      wallMs: performance.now() - started,
    };
  }

  /** The scheduled flush, as the construct's rule invokes it. */
  public flush(): Promise<boolean> {
    return this.invoke({ ...FLUSH_INCIDENTS_EVENT });
  }

  /** The bodies of the dead-letter queue's messages: the event and the last error. */
  public async deadLetters(): Promise<{ event: unknown; error: string }[]> {
    const { Messages = [] } = await this.world.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return Messages.map((message) => JSON.parse(message.Body ?? '{}') as { event: unknown; error: string });
  }

  public async deadLetterCount(): Promise<number> {
    const { Attributes } = await this.world.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }
}

/** Every message delivered so far: received in pages of ten until the queue answers none. */
export async function allDelivered(world: World): Promise<Delivered[]> {
  const all: Delivered[] = [];
  for (;;) {
    const page = await world.delivered();
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** What a digest carries in its machine-readable (`sqs`) rendering. */
export interface DeliveredDigest {
  readonly incidentId: string;
  readonly firstJob: string;
  readonly jobs: readonly string[];
  readonly jobCount: number;
  readonly final: boolean;
}

export const digestOf = (delivered: Delivered): DeliveredDigest | undefined =>
  (delivered.message as unknown as { digest?: DeliveredDigest }).digest;

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
