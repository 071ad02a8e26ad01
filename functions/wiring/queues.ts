/**
 * The SQS side of a worker's wiring, read from its topology entry so that wiring cannot reach a queue the
 * function has no grant for: the queues it sends to (`access.sendTo`, the list the CDK stack turns into
 * SendMessage grants and queue URL variables) and the one it consumes (whose URL and ChangeMessageVisibility
 * grant the stack gives its consumer).
 */
import { functions, queueNames, queues, type FunctionName, type QueueName } from '../../lib/topology.ts';
import { sqsMessageVisibility } from '../adapters/message-visibility.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { queueUrlsFromEnv } from '../config.ts';
import type { QueueSender } from '../core/queue-sender.ts';
import type { ChangeVisibility } from '../sqs/consumer.ts';

/** Sends to exactly the queues the function's topology access names; fails at start-up without any. */
export function queueSenderOf(fn: FunctionName): QueueSender {
  const access: { readonly sendTo?: readonly QueueName[] } = functions[fn].access;
  if (access.sendTo === undefined || access.sendTo.length === 0) throw new Error(`${fn} sends to no queue: give it noQueues`);
  return new SqsQueueSender(sqsClient, queueUrlsFromEnv(access.sendTo));
}

/** Changes the visibility of a message of the one queue the function consumes; fails at start-up otherwise. */
export function changeVisibilityOf(fn: FunctionName): ChangeVisibility {
  const [consumed, ...others] = queueNames.filter((queue) => queues[queue].consumer === fn);
  if (consumed === undefined || others.length > 0) throw new Error(`${fn} must consume exactly one queue to change its messages' visibility`);
  const queueUrl = queueUrlsFromEnv([consumed])[consumed];
  if (queueUrl === undefined) throw new Error(`${fn} has no URL for the ${consumed} queue it consumes`);
  return sqsMessageVisibility(sqsClient, queueUrl);
}
