/** The settle worker: captured payments from the settlement queue become settled, a batch at a time. */
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { settlePayment } from '../payments/change-payment.ts';
import { createSqsConsumer } from './sqs-consumer.ts';

const tableName = tableNameFromEnv();
const outbox = new OutboxStore(dynamoDocumentClient, tableName, new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookFanout'])));
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);

export const handler = createSqsConsumer(z.object({ transaction_id: z.string(), outbox_entry: z.string().optional() }), async (message) => {
  const outcome = await settlePayment({ transactions, orders, now: () => new Date() }, message);
  logger.debug('Settlement handled', { transactionId: message.transaction_id, outcome });
});
