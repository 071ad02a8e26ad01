/** The orders function: POST /orders and GET /orders/{id}. Orders are paid through POST /payments with `order_id`. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { tableNameFromEnv } from '../config.ts';
import { toPublicOrder } from '../core/order.ts';
import { orderRoutes } from '../orders/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import { createOrder, requireOrder } from '../orders/orders.ts';

const tableName = tableNameFromEnv();
// Creating an order causes no event and no command; the outbox is here for the repository's shape only.
const outbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);
const customers = new CustomerRepository(dynamoDocumentClient, tableName, outbox);
const merchants = new MerchantStore(dynamoDocumentClient, tableName);
const now = (): Date => new Date();

export const handler = createApiHandler([
  defineRoute(orderRoutes.createOrder, async (request) => {
    const order = await createOrder(
      {
        orders,
        customers,
        now,
        defaultCurrency: (id) => merchants.defaultCurrencyOf(id),
      },
      { merchantId: merchantOf(request).merchantId, body: request.body, newId: request.newId },
    );
    return { status: 201, body: toPublicOrder(order) };
  }),
  defineRoute(orderRoutes.getOrder, async (request) => {
    const order = await requireOrder({ orders }, merchantOf(request).merchantId, request.pathParameters.id ?? '');
    return { status: 200, body: toPublicOrder(order) };
  }),
], apiPipeline);
