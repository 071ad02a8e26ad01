/**
 * The outbox of a function that sends to queues, sending to exactly those its topology access names
 * (`sendTo`): the list the CDK stack turns into SendMessage grants and queue URL variables, so wiring cannot
 * ask for a queue the function may not use. A function without `sendTo` builds its outbox on `noQueues`
 * instead, which keeps the SQS client out of its cold start.
 */
import { functions, type FunctionName, type QueueName } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';

export function outboxOf(fn: FunctionName): OutboxStore {
  const access: { readonly sendTo?: readonly QueueName[] } = functions[fn].access;
  if (access.sendTo === undefined || access.sendTo.length === 0) throw new Error(`${fn} sends to no queue: give its outbox noQueues`);
  return new OutboxStore(dynamoDocumentClient, tableNameFromEnv(), new SqsQueueSender(sqsClient, queueUrlsFromEnv(access.sendTo)));
}
