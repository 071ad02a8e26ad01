import { describe, expect, it } from 'vitest';
import { createCustomer } from '../../../functions/core/customer.ts';
import { makeSessionsHandler } from '../../../functions/hosted/sessions-handler.ts';
import { noOrders } from '../../support/memory-transactions.ts';
import { apiEvent, jsonOf, lambdaContext, merchant, type Caller } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { MemoryCustomers } from '../customers/memory-customers.ts';
import { MemorySessions } from './memory-sessions.ts';

const now = new Date('2030-01-01T00:00:00.000Z');
const customer = createCustomer({ id: 'cus_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E', merchantId: merchant.merchantId }, now).customer;

function build() {
  const sessions = new MemorySessions(() => now);
  const handler = makeSessionsHandler({
    sessions,
    customers: new MemoryCustomers([customer]),
    orders: noOrders,
    merchants: { defaultCurrencyOf: async () => 'EUR' },
    ...memoryPipeline(),
  });
  return { handler, sessions };
}

const post = (path: string, body: unknown, caller: Caller = merchant) =>
  apiEvent('POST', path, { caller, body: JSON.stringify(body), headers: { host: 'pay.example.com', 'x-forwarded-proto': 'https' } });

describe('the sessions function', () => {
  it("opens a checkout session in the merchant's default currency, its page on the same stage with the token in the fragment", async () => {
    const { handler, sessions } = build();

    const response = await handler(post('/checkout_sessions', { amount: 1050 }), lambdaContext);

    expect(response.statusCode).toBe(201);
    const { id, url, expires_at } = jsonOf(response);
    expect(url).toBe(`https://pay.example.com/prod/pages/checkout#token=token_${String(id)}`);
    expect(expires_at).toBe('2030-01-01T00:30:00.000Z');
    expect((await sessions.getOwned(merchant.merchantId, String(id)))?.checkout).toEqual({ amount: 1050, currency: 'EUR' });
  });

  it("answers 404 for a portal session of another merchant's customer", async () => {
    const { handler } = build();
    const otherMerchant = { ...merchant, merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0Z' };

    const response = await handler(post('/portal_sessions', { customer_id: customer.id }, otherMerchant), lambdaContext);

    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'customer_id' });
  });

  it('ends a console session by id, at the time the clock tells', async () => {
    const { handler, sessions } = build();
    const opened = jsonOf(await handler(post('/console_sessions', {}), lambdaContext));
    const id = String(opened.id);

    const response = await handler(
      apiEvent('DELETE', '/console_sessions/{id}', { caller: merchant, path: `/console_sessions/${id}`, pathParameters: { id } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({ id, ended: true, ended_at: now.toISOString() });
    expect((await sessions.getOwned(merchant.merchantId, id))?.endedAt).toBe(now.toISOString());
  });
});
