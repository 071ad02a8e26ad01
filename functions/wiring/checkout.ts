/**
 * The checkout function: a payment's outbox sends to the authorization and webhook fan-out queues; the card
 * is sealed with KMS and fingerprinted under the fingerprint key.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeCheckoutHandler } from '../hosted/checkout-handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { outboxOf } from './outbox.ts';

const tableName = tableNameFromEnv();
const outbox = outboxOf('checkout');

export const handler = makeCheckoutHandler({
  sessions: new SessionStore(dynamoDocumentClient, tableName),
  merchants: new MerchantStore(dynamoDocumentClient, tableName),
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, outbox),
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outbox),
  orders: new OrderRepository(dynamoDocumentClient, tableName, outbox),
  vault: cardVaultFromEnv(),
  fingerprints: cardFingerprinterFromEnv(),
  now: () => new Date(),
  ...apiPipeline,
});
