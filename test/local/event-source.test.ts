import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ManualClock } from '../../lib/local/clock.ts';
import { startEventSources, type EventSources } from '../../lib/local/event-source.ts';
import { LocalLambdas } from '../../lib/local/lambda.ts';
import { startSqsEndpoint, type SqsEndpoint } from '../../lib/local/sqs-endpoint.ts';
import { createQueueWithDeadLetters, sqsClientFor, waitFor } from './helpers.ts';

let endpoint: SqsEndpoint | undefined;
let client: SQSClient | undefined;
let sources: EventSources | undefined;

afterEach(async () => {
  await sources?.close();
  client?.destroy();
  await endpoint?.close();
  sources = undefined;
  client = undefined;
  endpoint = undefined;
});

/** A queue `work` (and `work-dlq`) consumed by `handler` as the settle worker would be. */
async function consume(
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>,
  settings: {
    maxReceiveCount?: number;
    visibilityTimeoutSeconds?: number;
    batchSize?: number;
    maxBatchingWindowSeconds?: number;
    sendFirst?: string[];
  } = {},
): Promise<{ endpoint: SqsEndpoint; client: SQSClient; queueUrl: string; clock: ManualClock }> {
  // The queue's time stands still unless a test moves it: a visibility timeout ends when the test says.
  const clock = new ManualClock();
  endpoint = await startSqsEndpoint({ clock });
  client = sqsClientFor(endpoint.url);
  const { queueUrl } = await createQueueWithDeadLetters(client, 'work', {
    maxReceiveCount: settings.maxReceiveCount ?? 3,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds ?? 1,
  });
  if (settings.sendFirst !== undefined) {
    for (let start = 0; start < settings.sendFirst.length; start += 10) {
      const bodies = settings.sendFirst.slice(start, start + 10);
      await client.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, index) => ({ Id: `m${index}`, MessageBody: body })) }),
      );
    }
  }
  const lambdas = new LocalLambdas({ settleWorker: { spec: { timeoutSeconds: 10, memoryMb: 128 }, handler } }, 'local');
  sources = await startEventSources({
    sqsEndpoint: endpoint.url,
    region: 'local',
    lambdas,
    pollersPerQueue: 1,
    waitTimeSeconds: 1,
    pollIntervalMs: 20,
    clock,
    sources: [
      {
        queueName: 'work',
        consumer: 'settleWorker',
        batchSize: settings.batchSize ?? 10,
        maxBatchingWindowSeconds: settings.maxBatchingWindowSeconds ?? 0,
      },
    ],
  });
  return { endpoint, client, queueUrl, clock };
}

/**
 * Waits until `read` satisfies `done`, moving the queue's clock a second on at each look, so that every
 * message a consumer failed comes back at once instead of after its visibility timeout.
 */
function advancingUntil<T>(clock: ManualClock, read: () => T, done: (value: T) => boolean): Promise<T> {
  return waitFor(() => {
    clock.advance(1_000);
    return read();
  }, done);
}

describe('SQS event source mapping', () => {
  it('hands the consumer the SQSEvent Lambda builds, and deletes what it handled', async () => {
    const events: SQSEvent[] = [];
    const { endpoint, client, queueUrl } = await consume(async (event) => {
      events.push(event);
    });

    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"transaction_id":"txn_1"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'settle' } },
      }),
    );
    await waitFor(() => endpoint.depth('work'), (depth) => events.length === 1 && depth.visible + depth.inFlight === 0);

    const record = events[0]?.Records[0];
    expect(events[0]?.Records).toHaveLength(1);
    expect(record).toMatchObject({
      body: '{"transaction_id":"txn_1"}',
      md5OfBody: createHash('md5').update('{"transaction_id":"txn_1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: endpoint.queueArn('work'),
      awsRegion: 'local',
      messageAttributes: { kind: { stringValue: 'settle', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    expect(record?.attributes.ApproximateReceiveCount).toBe('1');
    expect(record?.attributes.SenderId).toBe('local');
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(record?.attributes.SentTimestamp));
    expect(record?.receiptHandle).not.toBe('');
  });

  it('moves a message its consumer always fails to the dead-letter queue after exactly maxReceiveCount receives', async () => {
    const receiveCounts: string[] = [];
    const { endpoint, client, queueUrl, clock } = await consume(
      async (event) => {
        for (const record of event.Records) receiveCounts.push(record.attributes.ApproximateReceiveCount);
        throw new Error('processor unavailable');
      },
      { maxReceiveCount: 3 },
    );

    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    await advancingUntil(clock, () => endpoint.depth('work-dlq'), (depth) => depth.visible === 1);

    expect(receiveCounts).toEqual(['1', '2', '3']);
    expect(endpoint.depth('work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('redelivers only the message a partial batch response reports as failed', async () => {
    const deliveries: string[] = [];
    const { endpoint, clock } = await consume(
      async (event) => {
        const failures = [];
        for (const record of event.Records) {
          deliveries.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
          if (record.body === 'b' && record.attributes.ApproximateReceiveCount === '1') failures.push({ itemIdentifier: record.messageId });
        }
        return { batchItemFailures: failures };
      },
      { sendFirst: ['a', 'b', 'c'] },
    );

    await advancingUntil(clock, () => endpoint.depth('work'), (depth) => deliveries.includes('b#2') && depth.visible + depth.inFlight === 0);

    expect(deliveries.sort()).toEqual(['a#1', 'b#1', 'b#2', 'c#1']);
    expect(endpoint.depth('work-dlq').visible).toBe(0);
  });

  it('keeps the whole batch when the partial batch response names a message that is not in it', async () => {
    const deliveries: string[] = [];
    const { endpoint, clock } = await consume(
      async (event) => {
        for (const record of event.Records) deliveries.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
        return event.Records[0]?.attributes.ApproximateReceiveCount === '1' ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : undefined;
      },
      { sendFirst: ['a', 'b'] },
    );

    await advancingUntil(clock, () => endpoint.depth('work'), (depth) => deliveries.length >= 4 && depth.visible + depth.inFlight === 0);

    expect(deliveries.sort()).toEqual(['a#1', 'a#2', 'b#1', 'b#2']);
  });

  it('fills a batch up to the batch size within the batching window', async () => {
    const batchSizes: number[] = [];
    const bodies = Array.from({ length: 15 }, (_, index) => `m${index}`);
    const { endpoint, clock } = await consume(
      async (event) => {
        batchSizes.push(event.Records.length);
      },
      // A visibility timeout longer than the window: no message may come back while the batch fills.
      { batchSize: 25, maxBatchingWindowSeconds: 1, visibilityTimeoutSeconds: 30, sendFirst: bodies },
    );

    // The first receive took ten (SQS's most), and the window is open: its end is the clock's one timer.
    await waitFor(() => endpoint.depth('work').inFlight === 10 && clock.pendingTimers() === 1, (open) => open);
    const whileOpen = [...batchSizes];
    clock.advance(1_000);
    await waitFor(() => endpoint.depth('work'), (depth) => batchSizes.length > 0 && depth.visible + depth.inFlight === 0);

    expect(whileOpen).toEqual([]);
    expect(batchSizes).toEqual([15]);
  });

  it.each([
    ['throws', 'throw'],
    ['reports it failed', 'report'],
  ] as const)(
    'keeps the visibility timeout a consumer set on its message before it %s: it comes back then, not after the queue default',
    async (_label, failure) => {
      const receivedAt: number[] = [];
      let queue = '';
      let now = (): number => 0;
      const { endpoint, client, queueUrl, clock } = await consume(
        async (event) => {
          const [record] = event.Records;
          if (record === undefined) return;
          receivedAt.push(now());
          if (receivedAt.length > 1) return;
          // As the authorize worker does while the acquirer is down: come back later than the queue's default.
          await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 4 }));
          if (failure === 'throw') throw new Error('acquirer unavailable');
          return { batchItemFailures: [{ itemIdentifier: record.messageId }] };
        },
        { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 },
      );
      queue = queueUrl;
      now = () => clock.now();

      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'pending payment' }));
      // The failure is handled once the poller waits on the queue again (its long poll is the clock's one timer).
      await waitFor(() => receivedAt.length === 1 && clock.pendingTimers() === 1, (handled) => handled);
      clock.advance(1_000);
      const afterQueueTimeout = endpoint.depth('work');
      clock.advance(3_000);
      await waitFor(() => endpoint.depth('work'), (depth) => receivedAt.length === 2 && depth.visible + depth.inFlight === 0);

      const [first = 0, second = 0] = receivedAt;
      // The queue's own timeout is 1 s: had the event source reset it, the message would be back by then.
      expect(afterQueueTimeout).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
      expect(second - first).toBe(4_000);
      expect(endpoint.depth('work-dlq').visible).toBe(0);
    },
  );
});
