/**
 * Lambda's SQS event source mapping, on one machine: pollers long-poll each queue through the real SQS
 * client (the same wire as in the cloud), gather a batch as the mapping's batch size and batching window
 * say, invoke the consumer with the `SQSEvent` Lambda builds, and delete what the consumer did not report in
 * `batchItemFailures` (ReportBatchItemFailures on). A consumer that throws or times out gets nothing
 * deleted: its messages come back when their visibility timeout ends, and the queue's redrive policy moves
 * them to the dead-letter queue after `maxReceiveCount` receives.
 *
 * Not emulated: Lambda's poller scaling (a fixed number of pollers per queue), maximum concurrency,
 * the 6 MB payload cap of a batch, and the backoff Lambda applies to a failing function.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { FunctionName } from '../topology.ts';
import { systemClock, type LocalClock } from './clock.ts';
import { localCredentials } from './dynamo.ts';
import type { Invoker } from './lambda.ts';

export interface QueueSource {
  readonly queueName: string;
  readonly consumer: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
}

export interface EventSourceOptions {
  /** The SQS endpoint, e.g. the local one's `url`. */
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly sources: readonly QueueSource[];
  readonly lambdas: Invoker;
  /** Pollers per queue; each handles one batch at a time, as one Lambda instance would. */
  readonly pollersPerQueue?: number;
  /** How long one ReceiveMessage waits for a message (Lambda long-polls for 20 s). */
  readonly waitTimeSeconds?: number;
  /** Step between receives while a batching window fills, and pause after a failed receive. */
  readonly pollIntervalMs?: number;
  /**
   * What a batching window is measured by: the queue's clock (the SQS endpoint's), the system's unless
   * given, so that a test advancing the queue's time fills a window without waiting for it.
   */
  readonly clock?: LocalClock;
}

export interface EventSources {
  close(): Promise<void>;
}

const MAX_MESSAGES_PER_RECEIVE = 10;

export async function startEventSources(options: EventSourceOptions): Promise<EventSources> {
  const client = new SQSClient({ endpoint: options.sqsEndpoint, region: options.region, credentials: localCredentials });
  const stopping = new AbortController();
  const settings = {
    waitTimeSeconds: options.waitTimeSeconds ?? 20,
    pollIntervalMs: options.pollIntervalMs ?? 200,
    clock: options.clock ?? systemClock,
  };
  const mappings = await Promise.all(
    options.sources.map(async (source) => {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: source.queueName }));
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const queueArn = Attributes?.QueueArn;
      if (QueueUrl === undefined || queueArn === undefined) throw new Error(`The queue ${source.queueName} has no URL or ARN`);
      return { source, queueUrl: QueueUrl, queueArn };
    }),
  );
  const pollers: Promise<void>[] = [];
  for (const mapping of mappings) {
    for (let index = 0; index < (options.pollersPerQueue ?? 2); index += 1) {
      pollers.push(poll({ ...mapping, client, lambdas: options.lambdas, region: options.region, signal: stopping.signal, ...settings }));
    }
  }
  return {
    close: async () => {
      stopping.abort();
      await Promise.all(pollers);
      client.destroy();
    },
  };
}

interface Poller {
  readonly source: QueueSource;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly client: SQSClient;
  readonly lambdas: Invoker;
  readonly region: string;
  readonly signal: AbortSignal;
  readonly waitTimeSeconds: number;
  readonly pollIntervalMs: number;
  readonly clock: LocalClock;
}

async function poll(poller: Poller): Promise<void> {
  while (!poller.signal.aborted) {
    let batch: Message[];
    try {
      batch = await nextBatch(poller);
    } catch (error) {
      if (poller.signal.aborted) return;
      console.warn(`[sqs] receiving from ${poller.source.queueName} failed: ${messageOf(error)}`);
      await pause(poller.pollIntervalMs, poller.signal);
      continue;
    }
    // A batch already received is delivered even while stopping, rather than left invisible.
    if (batch.length > 0) await deliver(poller, batch);
    // Without long polling, an empty queue would otherwise be asked again at once, forever.
    else if (poller.waitTimeSeconds === 0) await pause(poller.pollIntervalMs, poller.signal);
  }
}

/**
 * One receive that may wait for the first message; then, with a batching window, the rest of the window for
 * more to arrive, and receives of up to ten at a time until the batch is full or the queue has no more —
 * as Lambda's event source mapping gathers a batch, without asking the queue again and again meanwhile.
 */
async function nextBatch(poller: Poller): Promise<Message[]> {
  const { batchSize, maxBatchingWindowSeconds } = poller.source;
  const batch = await receive(poller, Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize), poller.waitTimeSeconds);
  if (batch.length === 0 || maxBatchingWindowSeconds === 0 || batch.length >= batchSize) return batch;
  await windowEnd(poller.clock, maxBatchingWindowSeconds * 1000, poller.signal);
  // By message id: a window longer than the visibility timeout (a setting AWS warns against) could otherwise
  // receive one message twice into one batch; its latest receipt is the one that counts.
  const byId = new Map(batch.map((message) => [message.MessageId, message]));
  while (byId.size < batchSize && !poller.signal.aborted) {
    const wanted = Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize - byId.size);
    const more = await receive(poller, wanted, 0);
    for (const message of more) byId.set(message.MessageId, message);
    if (more.length < wanted) break;
  }
  return [...byId.values()];
}

async function receive(poller: Poller, max: number, waitTimeSeconds: number): Promise<Message[]> {
  try {
    const { Messages } = await poller.client.send(
      new ReceiveMessageCommand({
        QueueUrl: poller.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: poller.signal },
    );
    return Messages ?? [];
  } catch (error) {
    if (poller.signal.aborted) return [];
    throw error;
  }
}

async function deliver(poller: Poller, batch: Message[]): Promise<void> {
  const { queueName, consumer } = poller.source;
  const event: SQSEvent = { Records: batch.map((message) => recordOf(message, poller.queueArn, poller.region)) };
  let failed: ReadonlySet<string>;
  try {
    failed = failedMessageIds(await poller.lambdas.invoke(consumer, event), event);
  } catch (error) {
    console.warn(`[sqs] ${consumer} failed a batch of ${batch.length} from ${queueName}; it returns after its visibility timeout: ${messageOf(error)}`);
    return;
  }
  const done = event.Records.filter((record) => !failed.has(record.messageId));
  for (let start = 0; start < done.length; start += MAX_MESSAGES_PER_RECEIVE) {
    const chunk = done.slice(start, start + MAX_MESSAGES_PER_RECEIVE);
    try {
      const { Failed } = await poller.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: poller.queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      for (const failure of Failed ?? []) console.warn(`[sqs] deleting from ${queueName} failed: ${failure.Code ?? ''} ${failure.Message ?? ''}`);
    } catch (error) {
      console.warn(`[sqs] deleting from ${queueName} failed: ${messageOf(error)}`);
    }
  }
}

/**
 * The messages to keep, from a partial batch response. As Lambda does: nothing returned, or no failures
 * listed, is a complete success; a failure without an id, or with an id not in the batch, or an answer of
 * another shape, fails the whole batch.
 */
function failedMessageIds(result: unknown, event: SQSEvent): ReadonlySet<string> {
  const everything = new Set(event.Records.map((record) => record.messageId));
  if (result === undefined || result === null) return new Set();
  if (typeof result !== 'object') return everything;
  const failures = (result as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return everything;
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !everything.has(id)) return everything;
    failed.add(id);
  }
  return failed;
}

function recordOf(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? 'String',
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...(attributes.AWSTraceHeader === undefined ? {} : { AWSTraceHeader: attributes.AWSTraceHeader }),
      ...(attributes.DeadLetterQueueSourceArn === undefined ? {} : { DeadLetterQueueSourceArn: attributes.DeadLetterQueueSourceArn }),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Resolves once `ms` have passed on `clock`, or at once when the poller stops. */
function windowEnd(clock: LocalClock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const end = (): void => {
      cancel();
      signal.removeEventListener('abort', end);
      resolve();
    };
    const cancel = clock.after(ms, end);
    signal.addEventListener('abort', end, { once: true });
  });
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the poller is stopping.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
