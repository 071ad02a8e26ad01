/** The customers handler built from fakes: no table, no KMS, no environment, and a clock the test sets. */
import { describe, expect, it } from 'vitest';
import { createCustomer } from '../../../functions/core/customer.ts';
import { newId } from '../../../functions/core/ids.ts';
import { makeCustomersHandler } from '../../../functions/customers/handler.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { MemoryCustomers } from './memory-customers.ts';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const OTHER_MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0X';

function customersHandler(customers: MemoryCustomers) {
  return makeCustomersHandler({
    customers,
    vault: {
      seal: async (plaintext, binding) => `sealed(${binding.recordId}.${binding.field}:${plaintext.slice(-4)})`,
      open: () => Promise.reject(new Error('the customers function never opens a card')),
    },
    fingerprints: { fingerprint: async () => 'fp_test' },
    now: () => NOW,
    ...memoryPipeline(),
  });
}

const post = (path: string, body: unknown) => apiEvent('POST', path, { caller: merchant, body: JSON.stringify(body) });

describe('the customers handler', () => {
  it("saves a customer's first card sealed, makes it the default, and lists it", async () => {
    // Arrange
    const customers = new MemoryCustomers();
    const handler = customersHandler(customers);
    const customer = jsonOf(await handler(post('/customers', { email: 'ada@example.com' }), lambdaContext));
    const customerId = String(customer.customer_id);

    // Act
    const saved = await handler(
      post('/payment_methods', { customer_id: customerId, card_number: '4242424242424242', expiration_date: '2031-12-31' }),
      lambdaContext,
    );
    const listed = await handler(
      apiEvent('GET', '/customers/{id}/payment_methods', {
        caller: merchant,
        pathParameters: { id: customerId },
        path: `/customers/${customerId}/payment_methods`,
      }),
      lambdaContext,
    );

    // Assert
    expect(saved.statusCode).toBe(201);
    const paymentMethod = jsonOf(saved);
    expect(paymentMethod).toMatchObject({ customer_id: customerId, status: 'attached', is_default: true, last4: '4242', created: NOW.toISOString() });
    expect(customers.sealedNumbers.get(String(paymentMethod.payment_method_id))).toBe(`sealed(${String(paymentMethod.payment_method_id)}.number:4242)`);
    expect(JSON.parse(listed.body)).toEqual([paymentMethod]);
  });

  it("answers 404 for another merchant's customer, as for a missing one", async () => {
    // Arrange
    const others = createCustomer({ id: newId('customer'), merchantId: OTHER_MERCHANT }, NOW).customer;
    const handler = customersHandler(new MemoryCustomers([others]));

    // Act
    const response = await handler(
      apiEvent('GET', '/customers/{id}', { caller: merchant, pathParameters: { id: others.id }, path: `/customers/${others.id}` }),
      lambdaContext,
    );

    // Assert
    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing' });
  });

  it("refuses to detach another merchant's card with a 404, and keeps its sealed number", async () => {
    // Arrange
    const customers = new MemoryCustomers();
    const others = customersHandler(customers);
    const otherCaller = { ...merchant, merchantId: OTHER_MERCHANT };
    const owner = jsonOf(await others(apiEvent('POST', '/customers', { caller: otherCaller, body: '{}' }), lambdaContext));
    const card = jsonOf(
      await others(
        apiEvent('POST', '/payment_methods', {
          caller: otherCaller,
          body: JSON.stringify({ customer_id: owner.customer_id, card_number: '4242424242424242', expiration_date: '2031-12-31' }),
        }),
        lambdaContext,
      ),
    );
    const cardId = String(card.payment_method_id);

    // Act
    const response = await customersHandler(customers)(
      apiEvent('DELETE', '/payment_methods/{id}', { caller: merchant, pathParameters: { id: cardId }, path: `/payment_methods/${cardId}` }),
      lambdaContext,
    );

    // Assert
    expect(response.statusCode).toBe(404);
    expect(customers.sealedNumbers.has(cardId)).toBe(true);
  });
});
