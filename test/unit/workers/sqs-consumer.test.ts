import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createSqsConsumer } from '../../../functions/workers/sqs-consumer.ts';

const context = { functionName: 'worker', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function record(id: string, body: unknown): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `handle-${id}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'sender',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:authorization',
    awsRegion: 'eu-west-1',
  };
}

const batch = (...ids: string[]): SQSEvent => ({ Records: ids.map((id) => record(id, { id })) });

/** A consumer whose handler fails the messages whose id is in `failing`. */
function consumer(failing: ReadonlySet<string>) {
  return createSqsConsumer(z.object({ id: z.string() }), async (message) => {
    await Promise.resolve();
    if (failing.has(message.id)) throw new Error(`cannot handle ${message.id}`);
  });
}

describe('a queue consumer', () => {
  it('reports only the messages that failed, so the others are deleted', async () => {
    const response = await consumer(new Set(['b']))(batch('a', 'b', 'c'), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
  });

  it('answers an empty report when every message succeeded', async () => {
    await expect(consumer(new Set())(batch('a', 'b'), context)).resolves.toEqual({ batchItemFailures: [] });
  });

  it('fails the invocation when every message failed, so Lambda counts a function error and the alarm can fire', async () => {
    await expect(consumer(new Set(['a', 'b']))(batch('a', 'b'), context)).rejects.toThrow(/All records failed/);
  });

  it('fails the invocation for a batch of one failed message, the usual batch at low traffic', async () => {
    await expect(consumer(new Set(['a']))(batch('a'), context)).rejects.toThrow();
  });
});
