/**
 * The outbox of a function that sends to queues, sending to exactly those its topology access names
 * (queues.ts `queueSenderOf`), so wiring cannot ask for a queue the function may not use. A function without
 * `sendTo` builds its outbox on `noQueues` instead, which keeps the SQS client out of its cold start.
 */
import type { FunctionName } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OutboxStore, type OutboxOptions } from '../adapters/outbox.ts';
import { tableNameFromEnv } from '../config.ts';
import { queueSenderOf } from './queues.ts';

export function outboxOf(fn: FunctionName, options: OutboxOptions = {}): OutboxStore {
  return new OutboxStore(dynamoDocumentClient, tableNameFromEnv(), queueSenderOf(fn), options);
}
