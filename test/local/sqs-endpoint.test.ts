import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  UnsupportedOperation,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ManualClock } from '../../lib/local/clock.ts';
import { md5OfAttributes, startSqsEndpoint, type SqsEndpoint } from '../../lib/local/sqs-endpoint.ts';
import { createQueueWithDeadLetters, freshDir, sqsClientFor, removeFreshDirs } from './helpers.ts';

const open: { endpoint: SqsEndpoint; client: SQSClient }[] = [];

/** An endpoint on `clock` (a clock of its own unless given): a test advances it rather than wait. */
async function start(dataDir?: string, clock = new ManualClock()): Promise<{ endpoint: SqsEndpoint; client: SQSClient; clock: ManualClock }> {
  const endpoint = await startSqsEndpoint({ clock, ...(dataDir === undefined ? {} : { dataDir }) });
  const client = sqsClientFor(endpoint.url);
  const started = { endpoint, client, clock };
  open.push(started);
  return started;
}

async function stop(started: { endpoint: SqsEndpoint; client: SQSClient }): Promise<void> {
  open.splice(open.indexOf(started), 1);
  started.client.destroy();
  await started.endpoint.close();
}

afterEach(async () => {
  for (const started of [...open]) await stop(started);
});

async function receiveOne(client: SQSClient, queueUrl: string, options: { wait?: number; visibility?: number } = {}) {
  const { Messages } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      WaitTimeSeconds: options.wait ?? 0,
      ...(options.visibility === undefined ? {} : { VisibilityTimeout: options.visibility }),
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages?.[0];
}

afterAll(removeFreshDirs);

describe('local SQS endpoint', () => {
  it('round-trips a message with its attributes through the real SDK, which checks the MD5s', async () => {
    const { client } = await start();
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));

    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: '{"transaction_id":"txn_1","note":"é ✓"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'authorize' },
          attempt: { DataType: 'Number', StringValue: '2' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const received = await receiveOne(client, QueueUrl ?? '');

    expect(received?.MessageId).toBe(sent.MessageId);
    expect(received?.Body).toBe('{"transaction_id":"txn_1","note":"é ✓"}');
    expect(received?.MessageAttributes?.kind?.StringValue).toBe('authorize');
    expect(received?.MessageAttributes?.attempt?.StringValue).toBe('2');
    expect([...(received?.MessageAttributes?.blob?.BinaryValue ?? [])]).toEqual([1, 2, 3]);
    expect(received?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(received?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(received?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(received?.Attributes?.ApproximateFirstReceiveTimestamp).toBeDefined();
    expect(received?.Attributes?.SenderId).toBe('local');
  });

  it('digests message attributes exactly as SQS does', () => {
    // From an SQS event recorded in AWS (ap-south-1): this attribute came with this md5OfMessageAttributes.
    const digest = md5OfAttributes({ 'sample-attribute': { DataType: 'String', StringValue: 'sample-value' } });

    expect(digest).toBe('7c815262be77a62f56671125069ca888');
  });

  it('answers an unknown queue with QueueDoesNotExist and a FIFO queue with UnsupportedOperation', async () => {
    const { client, endpoint } = await start();

    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'missing' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: endpoint.queueUrl('missing'), MessageBody: 'x' })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(client.send(new CreateQueueCommand({ QueueName: 'orders.fifo' }))).rejects.toBeInstanceOf(UnsupportedOperation);
  });

  it('creates a queue idempotently, and refuses the same name with other attributes', async () => {
    const { client } = await start();
    const first = await client.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '5' } }));

    const again = await client.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '5' } }));

    expect(again.QueueUrl).toBe(first.QueueUrl);
    await expect(
      client.send(new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '6' } })),
    ).rejects.toBeInstanceOf(QueueNameExists);
  });

  it('does not deliver a delayed message before its delay', async () => {
    const { client, endpoint, clock } = await start();
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'later' }));

    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 1 }));
    clock.advance(999);
    const early = await receiveOne(client, QueueUrl);
    const depthWhileDelayed = endpoint.depth('later');
    clock.advance(1);
    const late = await receiveOne(client, QueueUrl);

    expect(early).toBeUndefined();
    expect(depthWhileDelayed).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(late?.Body).toBe('later');
    expect(Number(late?.Attributes?.ApproximateFirstReceiveTimestamp) - Number(late?.Attributes?.SentTimestamp)).toBe(1000);
  });

  it('hides a received message for its visibility timeout, then delivers it again with a higher receive count', async () => {
    const { client, endpoint, clock } = await start();
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));

    const first = await receiveOne(client, QueueUrl, { visibility: 1 });
    clock.advance(999);
    const whileInFlight = await receiveOne(client, QueueUrl);
    const depth = endpoint.depth('work');
    clock.advance(1);
    const second = await receiveOne(client, QueueUrl);

    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(whileInFlight).toBeUndefined();
    expect(depth).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
  });

  it('deletes only with the latest receipt handle, as SQS documents', async () => {
    const { client, endpoint } = await start();
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));
    const first = await receiveOne(client, QueueUrl, { visibility: 0 });
    const second = await receiveOne(client, QueueUrl, { visibility: 30 });

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle }));
    const afterStaleDelete = endpoint.depth('work');
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second?.ReceiptHandle }));

    expect(afterStaleDelete.inFlight).toBe(1);
    expect(endpoint.depth('work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('moves a message to the dead-letter queue instead of receiving it more than maxReceiveCount times', async () => {
    const { client, endpoint } = await start();
    const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetters(client, 'work', { maxReceiveCount: 2, visibilityTimeoutSeconds: 30 });
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));

    const receives = [];
    for (let attempt = 0; attempt < 3; attempt += 1) receives.push(await receiveOne(client, queueUrl, { visibility: 0 }));
    const deadLetter = await receiveOne(client, deadLetterUrl);

    expect(receives.map((message) => message?.Attributes?.ApproximateReceiveCount)).toEqual(['1', '2', undefined]);
    expect(deadLetter?.Body).toBe('poison');
    expect(deadLetter?.MessageId).toBe(receives[0]?.MessageId);
    expect(deadLetter?.Attributes?.DeadLetterQueueSourceArn).toBe(endpoint.queueArn('work'));
    expect(endpoint.depth('work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('reports queue depths and the redrive policy through GetQueueAttributes', async () => {
    const { client, endpoint } = await start();
    const { queueUrl } = await createQueueWithDeadLetters(client, 'work', { maxReceiveCount: 4, visibilityTimeoutSeconds: 30 });
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
          { Id: 'c', MessageBody: 'c', DelaySeconds: 60 },
        ],
      }),
    );
    await receiveOne(client, queueUrl);

    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));

    expect(Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: endpoint.queueArn('work-dlq'), maxReceiveCount: 4 });
    expect(Attributes?.VisibilityTimeout).toBe('30');
  });

  it('deletes in batches, changes visibility and purges', async () => {
    const { client, endpoint } = await start();
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));
    await client.send(
      new SendMessageBatchCommand({ QueueUrl, Entries: ['1', '2', '3'].map((id) => ({ Id: `m${id}`, MessageBody: id })) }),
    );
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));

    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'ok', ReceiptHandle: Messages[0]?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: Messages[1]?.ReceiptHandle, VisibilityTimeout: 0 }));
    const afterChange = endpoint.depth('work');
    await client.send(new PurgeQueueCommand({ QueueUrl }));

    expect(Messages).toHaveLength(3);
    expect(deleted.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
    expect(deleted.Failed?.map((entry) => [entry.Id, entry.Code])).toEqual([['bad', 'ReceiptHandleIsInvalid']]);
    expect(afterChange).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    expect(endpoint.depth('work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('ends a long poll as soon as a message arrives', async () => {
    const { client } = await start();
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));

    const waiting = receiveOne(client, QueueUrl, { wait: 20 });
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));

    expect((await waiting)?.Body).toBe('wake up');
  });

  it('keeps messages, receive counts and visibility across a restart on the same folder', async () => {
    const dataDir = freshDir('sqs-restart');
    const clock = new ManualClock();
    const first = await start(dataDir, clock);
    const { queueUrl } = await createQueueWithDeadLetters(first.client, 'work', { maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'in flight' }));
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'waiting', DelaySeconds: 1 }));
    const inFlight = await receiveOne(first.client, queueUrl, { visibility: 1 });
    await stop(first);

    const second = await start(dataDir, clock);
    const { QueueUrl: urlAfterRestart = '' } = await second.client.send(new GetQueueUrlCommand({ QueueName: 'work' }));
    const depthAfterRestart = second.endpoint.depth('work');
    clock.advance(1_000);
    const bodies: string[] = [];
    const counts: string[] = [];
    while (bodies.length < 2) {
      const message = await receiveOne(second.client, urlAfterRestart);
      if (message === undefined) break;
      bodies.push(message.Body ?? '');
      counts.push(message.Attributes?.ApproximateReceiveCount ?? '');
    }

    expect(inFlight?.Body).toBe('in flight');
    expect(depthAfterRestart).toEqual({ visible: 0, inFlight: 1, delayed: 1 });
    expect(bodies.sort()).toEqual(['in flight', 'waiting']);
    expect(counts.sort()).toEqual(['1', '2']);
  });

  it('survives a journal whose last line was torn by a crash', async () => {
    const dataDir = freshDir('sqs-torn');
    const first = await start(dataDir);
    const { QueueUrl = '' } = await first.client.send(new CreateQueueCommand({ QueueName: 'work' }));
    await first.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept' }));
    await stop(first);
    const journal = readdirSync(dataDir).find((file) => file.startsWith('journal-'));
    appendFileSync(join(dataDir, journal ?? 'journal-0.ndjson'), '{"op":"send","queue":"work","mess');

    const second = await start(dataDir);

    expect((await receiveOne(second.client, second.endpoint.queueUrl('work')))?.Body).toBe('kept');
  });

  it('loses nothing it acknowledged when its process is killed with SIGKILL', async () => {
    const dataDir = freshDir('sqs-kill');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'sqs-child.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    const client = sqsClientFor(url);
    const { QueueUrl = '' } = await client.send(new CreateQueueCommand({ QueueName: 'work' }));
    for (const body of ['one', 'two', 'three']) await client.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const taken = await receiveOne(client, QueueUrl, { visibility: 1 });
    client.destroy();

    child.kill('SIGKILL');
    await exited;
    // The child stamped its messages by the system clock; this clock starts there and skips the visibility timeout.
    const restarted = await start(dataDir, new ManualClock(Date.now()));
    const depth = restarted.endpoint.depth('work');
    restarted.clock.advance(1_000);
    const bodies: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const message = await receiveOne(restarted.client, restarted.endpoint.queueUrl('work'));
      if (message !== undefined) bodies.push(message.Body ?? '');
    }

    expect(taken?.Body).toBe('one');
    expect(depth.visible + depth.inFlight).toBe(3);
    expect(bodies.sort()).toEqual(['one', 'three', 'two']);
  });
});
