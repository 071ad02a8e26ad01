/**
 * The payments function: its repositories share one outbox, which sends to the queues its topology access
 * names; cards are sealed with KMS (it can seal a card number, never open one).
 */
import { KmsCardVault } from '../adapters/card-vault.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { HmacCardFingerprinter } from '../adapters/fingerprint.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makePaymentsHandler } from '../payments/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { outboxOf } from './outbox.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();
const outbox = outboxOf('payments');
const merchants = new MerchantStore(dynamoDocumentClient, tableName);

export const handler = makePaymentsHandler({
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, outbox, now),
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outbox, now),
  orders: new OrderRepository(dynamoDocumentClient, tableName, outbox, now),
  vault: new KmsCardVault(),
  fingerprints: new HmacCardFingerprinter({ tableName }),
  defaultCurrency: (merchantId) => merchants.defaultCurrencyOf(merchantId),
  now,
  ...apiPipeline,
});
