/**
 * The `authorizeWorker` function's entry (lib/topology.ts): its real ports, built once per container from its
 * configuration, so that a missing or malformed setting fails the cold start.
 */
import { queues } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { cardVaultFromEnv } from './card-data.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { ResilientProcessor } from '../adapters/resilient-processor.ts';
import { SandboxProcessor } from '../adapters/sandbox-processor.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { crashPoint } from '../fault-injection.ts';
import { logSignals } from '../observability/log-signals.ts';
import { logger } from '../observability/logger.ts';
import { createdAtOf, makeAuthorizeHandler } from '../payments/authorize-worker.ts';
import { outboxOf } from './outbox.ts';
import { changeVisibilityOf } from './queues.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();
const outbox = outboxOf('authorizeWorker');

export const handler = makeAuthorizeHandler({
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, outbox, now),
  orders: new OrderRepository(dynamoDocumentClient, tableName, outbox, now),
  vault: cardVaultFromEnv(),
  // The sandbox stands where an acquirer's client would; both sit behind the same timeouts, retries and breaker,
  // and ride out an outage as the authorization queue's settings say (lib/topology.ts): a payment the processor
  // cannot answer comes back later and later, and ends failed (processor_unavailable) at its deadline.
  processor: new ResilientProcessor(new SandboxProcessor(), {
    onRetry: ({ attempt, delayMs, reason }) => logger.warn('Processor retry', { attempt, delayMs, reason }),
    onCircuitChange: (status) =>
      logger.error(logSignals.processorCircuitChanged.message, { [logSignals.processorCircuitChanged.field]: status }),
    outage: { ...queues.authorization.outageRetry, createdAt: (request) => createdAtOf(request.reference, now) },
  }),
  now,
  changeVisibility: changeVisibilityOf('authorizeWorker'),
  afterProcessorAnswered: () => crashPoint('authorize.after-processor'),
});
