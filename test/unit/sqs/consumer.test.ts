import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createSqsBatchConsumer, createSqsConsumer, type ChangeVisibility } from '../../../functions/sqs/consumer.ts';
import { lambdaContext as context, sqsRecord as record } from '../../support/sqs-event.ts';

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

  describe('putting a message off', () => {
    class ComeBackLater extends Error {
      constructor(readonly retryAfterSeconds: number) {
        super('the acquirer is out');
      }
    }
    const putOff = (delays: Record<string, number>, changeVisibility?: ChangeVisibility) =>
      createSqsConsumer(
        z.object({ id: z.string() }),
        async (message) => {
          await Promise.resolve();
          const delay = delays[message.id];
          if (delay !== undefined) throw new ComeBackLater(delay);
        },
        changeVisibility === undefined ? {} : { changeVisibility },
      );

    it('sets the visibility timeout the handler asked for, in whole seconds, and still reports the message failed', async () => {
      const changes: [string, number][] = [];

      const response = await putOff({ b: 29.2 }, async (receiptHandle, seconds) => {
        changes.push([receiptHandle, seconds]);
      })(batch('a', 'b'), context);

      expect(changes).toEqual([['handle-b', 30]]);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
    });

    it('never asks SQS for more than its 12-hour maximum', async () => {
      const changes: number[] = [];

      await putOff({ a: 50_000, b: 0 }, async (_record, seconds) => {
        changes.push(seconds);
      })(batch('a', 'b', 'c'), context);

      expect(changes.sort((x, y) => x - y)).toEqual([0, 43_200]);
    });

    it('still fails the message, to come back after the queue timeout, when the visibility change fails', async () => {
      const response = await putOff({ a: 60 }, () => Promise.reject(new Error('SQS unavailable')))(batch('a', 'b'), context);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }] });
    });

    it('changes nothing for errors that ask for no delay, or without a way to change visibility', async () => {
      const changes: number[] = [];
      const failing = createSqsConsumer(
        z.object({ id: z.string() }),
        async () => {
          await Promise.resolve();
          throw new Error('plain failure');
        },
        { changeVisibility: async (_record, seconds) => void changes.push(seconds) },
      );

      await expect(failing(batch('a'), context)).rejects.toThrow();
      await expect(putOff({ a: 60 })(batch('a', 'b'), context)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }] });
      expect(changes).toEqual([]);
    });
  });
});

describe('a batch consumer', () => {
  it('prepares once for the valid messages of a batch, hands each message what it prepared, and sums up after', async () => {
    // Arrange
    const prepared: string[][] = [];
    const summaries: string[][] = [];
    const handler = createSqsBatchConsumer(
      z.object({ id: z.string() }),
      async (messages) => {
        prepared.push(messages.map((message) => message.id));
        return { handled: [] as string[] };
      },
      async (message, _record, batchState) => {
        if (message.id === 'b') throw new Error('cannot handle b');
        batchState.handled.push(message.id);
      },
      { afterBatch: ({ handled }) => summaries.push([...handled].sort()) },
    );
    const event: SQSEvent = { Records: [...batch('a', 'b').Records, record('bad', 'not an object'), record('c', { id: 'c' })] };

    // Act
    const response = await handler(event, context);

    // Assert
    expect(prepared).toEqual([['a', 'b', 'c']]);
    expect(summaries).toEqual([['a', 'c']]);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['b', 'bad']);
  });

  it('fails every message of the batch when preparing it fails', async () => {
    // Arrange
    const handler = createSqsBatchConsumer(
      z.object({ id: z.string() }),
      async () => {
        throw new Error('table unavailable');
      },
      async () => undefined,
    );

    // Act, Assert: every message failed, so the invocation fails (and the alarm can fire).
    await expect(handler(batch('a', 'b'), context)).rejects.toThrow(/All records failed/);
  });
});
