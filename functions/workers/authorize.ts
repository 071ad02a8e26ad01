/** The authorize worker: pending payments from the authorization queue, to the processor and back. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { KmsCardVault } from '../adapters/card-vault.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { ResilientProcessor } from '../adapters/resilient-processor.ts';
import { SandboxProcessor } from '../adapters/sandbox-processor.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { crashPoint } from '../fault-injection.ts';
import { logger } from '../observability/logger.ts';
import { authorizePayment } from '../payments/authorize-payment.ts';
import { logSignals } from '../observability/log-signals.ts';
import { createSqsConsumer } from './sqs-consumer.ts';
import { receivedCommand, transactionMessage } from './transaction-command.ts';

const tableName = tableNameFromEnv();
const outbox = new OutboxStore(dynamoDocumentClient, tableName, new SqsQueueSender(sqsClient, queueUrlsFromEnv(['settlement', 'webhookFanout'])));
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);
const vault = new KmsCardVault();
// The sandbox stands where an acquirer's client would; both sit behind the same timeouts, retries and breaker.
const processor = new ResilientProcessor(new SandboxProcessor(), {
  onRetry: ({ attempt, delayMs, reason }) => logger.warn('Processor retry', { attempt, delayMs, reason }),
  onCircuitChange: (status) =>
    logger.error(logSignals.processorCircuitChanged.message, { [logSignals.processorCircuitChanged.field]: status }),
});

export const handler = createSqsConsumer(transactionMessage, async (message, record) => {
  const outcome = await authorizePayment(
    {
      transactions,
      orders,
      vault,
      processor,
      now: () => new Date(),
      afterProcessorAnswered: () => crashPoint('authorize.after-processor'),
    },
    receivedCommand(message, record),
  );
  logger.info('Authorization handled', { transactionId: message.transaction_id, outcome });
});
