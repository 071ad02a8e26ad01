/** The settle worker: captured payments from the settlement queue become settled, a batch at a time. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { settlePayment } from '../payments/change-payment.ts';
import { createSqsConsumer } from '../sqs/consumer.ts';
import { outboxOf } from '../wiring/outbox.ts';
import { receivedCommand, transactionMessage } from '../sqs/transaction-command.ts';

const tableName = tableNameFromEnv();
const outbox = outboxOf('settleWorker');
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);

export const handler = createSqsConsumer(transactionMessage, async (message, record) => {
  const outcome = await settlePayment({ transactions, orders, now: () => new Date() }, receivedCommand(message, record));
  logger.debug('Settlement handled', { transactionId: message.transaction_id, outcome });
});
