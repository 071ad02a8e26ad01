/** The orders handler built from fakes: no table, no environment, and a clock the test sets. */
import { describe, expect, it } from 'vitest';
import { createCustomer } from '../../../functions/core/customer.ts';
import { newId } from '../../../functions/core/ids.ts';
import { createOrder, type Order } from '../../../functions/core/order.ts';
import { makeOrdersHandler } from '../../../functions/orders/handler.ts';
import type { WriteOutcome } from '../../../functions/core/write-outcome.ts';
import type { Orders } from '../../../functions/orders/ports.ts';
import { MemoryCustomers } from '../customers/memory-customers.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const OTHER_MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0X';

/** Orders by id, each owned by its merchant; only creation is asked of it here. */
class MemoryOrders implements Orders {
  readonly stored = new Map<string, Order>();

  constructor(orders: readonly Order[] = []) {
    for (const order of orders) this.stored.set(order.id, order);
  }

  async create(order: Order): Promise<WriteOutcome> {
    if (this.stored.has(order.id)) return 'condition_failed';
    this.stored.set(order.id, order);
    return 'written';
  }

  async get(orderId: string): Promise<Order | undefined> {
    return this.stored.get(orderId);
  }

  async getOwned(merchantId: string, orderId: string): Promise<Order | undefined> {
    const order = this.stored.get(orderId);
    return order?.merchantId === merchantId ? order : undefined;
  }

  apply(): never {
    throw new Error('the orders function only creates orders');
  }
}

function ordersHandler(orders: MemoryOrders, customers = new MemoryCustomers()) {
  return makeOrdersHandler({ orders, customers, defaultCurrency: async () => 'JPY', now: () => NOW, ...memoryPipeline() });
}

const postOrder = (body: unknown) => apiEvent('POST', '/orders', { caller: merchant, body: JSON.stringify(body) });

describe('the orders handler', () => {
  it("creates an open order for the merchant's customer, in the merchant's default currency", async () => {
    // Arrange
    const customer = createCustomer({ id: newId('customer'), merchantId: merchant.merchantId }, NOW).customer;
    const orders = new MemoryOrders();
    const handler = ordersHandler(orders, new MemoryCustomers([customer]));

    // Act
    const response = await handler(postOrder({ amount: 1500, customer_id: customer.id }), lambdaContext);

    // Assert
    expect(response.statusCode).toBe(201);
    const body = jsonOf(response);
    expect(body).toMatchObject({ amount: 1500, currency: 'JPY', customer_id: customer.id, status: 'open', created: NOW.toISOString() });
    expect(orders.stored.get(String(body.order_id))).toMatchObject({ merchantId: merchant.merchantId, amount: 1500 });
  });

  it("refuses an order for another merchant's customer with a 404, and stores no order", async () => {
    // Arrange
    const others = createCustomer({ id: newId('customer'), merchantId: OTHER_MERCHANT }, NOW).customer;
    const orders = new MemoryOrders();
    const handler = ordersHandler(orders, new MemoryCustomers([others]));

    // Act
    const response = await handler(postOrder({ amount: 1500, customer_id: others.id }), lambdaContext);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'customer_id' });
    expect(orders.stored.size).toBe(0);
  });

  it("answers 404 for another merchant's order, as for a missing one", async () => {
    // Arrange
    const others = createOrder({ id: newId('order'), merchantId: OTHER_MERCHANT, amount: 1500, currency: 'EUR' }, NOW);
    const handler = ordersHandler(new MemoryOrders([others]));

    // Act
    const response = await handler(
      apiEvent('GET', '/orders/{id}', { caller: merchant, pathParameters: { id: others.id }, path: `/orders/${others.id}` }),
      lambdaContext,
    );

    // Assert
    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing' });
  });
});
