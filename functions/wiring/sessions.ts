/** The sessions function: sessions, customers, orders and merchants in the table; it sends to no queue. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeSessionsHandler } from '../hosted/sessions-handler.ts';
import { apiPipeline } from './api-pipeline.ts';

const tableName = tableNameFromEnv();
// Reads customers and orders only: their repositories' outbox never publishes from here.
const readOnlyOutbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);

export const handler = makeSessionsHandler({
  sessions: new SessionStore(dynamoDocumentClient, tableName),
  customers: new CustomerRepository(dynamoDocumentClient, tableName, readOnlyOutbox),
  orders: new OrderRepository(dynamoDocumentClient, tableName, readOnlyOutbox),
  merchants: new MerchantStore(dynamoDocumentClient, tableName),
  ...apiPipeline,
});
