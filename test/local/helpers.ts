import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localCredentials } from '../../lib/local/dynamo.ts';

const made: string[] = [];

/** A new empty folder under the system's temporary folder; `removeFreshDirs` deletes them all. */
export function freshDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeFreshDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function sqsClientFor(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: 'local', credentials: localCredentials });
}

/** A queue and its dead-letter queue, wired with a redrive policy. */
export async function createQueueWithDeadLetters(
  client: SQSClient,
  name: string,
  settings: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const { QueueUrl: deadLetterUrl } = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: queueUrl } = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: settings.maxReceiveCount }),
      },
    }),
  );
  if (queueUrl === undefined || deadLetterUrl === undefined) throw new Error('CreateQueue returned no URL');
  return { queueUrl, deadLetterUrl };
}

/** Polls until `read` returns a value that satisfies `done`, or fails after `timeoutMs`. */
export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
