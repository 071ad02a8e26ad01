/** The authorize worker: pending payments from the authorization queue, to the processor and back. */
import { decodeTime } from 'ulid';
import { queues } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { KmsCardVault } from '../adapters/card-vault.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { ResilientProcessor } from '../adapters/resilient-processor.ts';
import { SandboxProcessor } from '../adapters/sandbox-processor.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { crashPoint } from '../fault-injection.ts';
import { logger } from '../observability/logger.ts';
import { authorizePayment } from '../payments/authorize-payment.ts';
import { logSignals } from '../observability/log-signals.ts';
import { createSqsConsumer } from '../sqs/consumer.ts';
import { outboxOf } from '../wiring/outbox.ts';
import { changeVisibilityOf } from '../wiring/queues.ts';
import { receivedCommand, transactionMessage } from '../sqs/transaction-command.ts';

const tableName = tableNameFromEnv();
const outbox = outboxOf('authorizeWorker');
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);
const vault = new KmsCardVault();
// The sandbox stands where an acquirer's client would; both sit behind the same timeouts, retries and breaker,
// and ride out an outage as the authorization queue's settings say (lib/topology.ts): a payment the processor
// cannot answer comes back later and later, and ends failed (processor_unavailable) at its deadline.
const processor = new ResilientProcessor(new SandboxProcessor(), {
  onRetry: ({ attempt, delayMs, reason }) => logger.warn('Processor retry', { attempt, delayMs, reason }),
  onCircuitChange: (status) =>
    logger.error(logSignals.processorCircuitChanged.message, { [logSignals.processorCircuitChanged.field]: status }),
  outage: { ...queues.authorization.outageRetry, createdAt: (request) => createdAtOf(request.reference) },
});

/**
 * When a transaction was created: the time part of its id (a ULID, functions/core/ids.ts), which a retried
 * request keeps too. An id that is not one waits as if created now, and so at worst until the redrive policy
 * dead-letters it.
 */
function createdAtOf(transactionId: string): number {
  try {
    return decodeTime(transactionId.slice(transactionId.indexOf('_') + 1));
  } catch {
    return Date.now();
  }
}

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
}, { changeVisibility: changeVisibilityOf('authorizeWorker') });
