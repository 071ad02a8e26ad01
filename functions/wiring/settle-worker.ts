/**
 * The `settleWorker` function's entry (lib/topology.ts): its real ports, built once per container from its
 * configuration, so that a missing or malformed setting fails the cold start.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeSettleHandler } from '../payments/settle-worker.ts';
import { outboxOf } from './outbox.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();
const outbox = outboxOf('settleWorker');

export const handler = makeSettleHandler({
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, outbox, now),
  orders: new OrderRepository(dynamoDocumentClient, tableName, outbox, now),
  now,
});
