/** The orders function: creating an order causes no event and no command, so its repositories' outbox reaches no queue. */
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeOrdersHandler } from '../orders/handler.ts';
import { apiPipeline } from './api-pipeline.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();
const outbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);
const merchants = new MerchantStore(dynamoDocumentClient, tableName);

export const handler = makeOrdersHandler({
  orders: new OrderRepository(dynamoDocumentClient, tableName, outbox, now),
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outbox, now),
  defaultCurrency: (merchantId) => merchants.defaultCurrencyOf(merchantId),
  now,
  ...apiPipeline,
});
