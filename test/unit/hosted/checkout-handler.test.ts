import { describe, expect, it } from 'vitest';
import { SESSION_LIFETIME_SECONDS } from '../../../functions/hosted/session.ts';
import type { CardFingerprinter, CardVault } from '../../../functions/core/vault.ts';
import { makeCheckoutHandler } from '../../../functions/hosted/checkout-handler.ts';
import { MemoryTransactions, noOrders } from '../../support/memory-transactions.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { MemoryCustomers } from '../customers/memory-customers.ts';
import { MemorySessions } from './memory-sessions.ts';

const opened = new Date('2030-01-01T00:00:00.000Z');
const vault: CardVault = { seal: async (number) => `sealed:${number}`, open: async (sealed) => sealed.replace(/^sealed:/, '') };
const fingerprints: CardFingerprinter = { fingerprint: async () => 'fp_1' };

async function build() {
  let now = opened;
  const sessions = new MemorySessions(() => now);
  const { session } = await sessions.create({ id: 'chk_1', kind: 'checkout', merchantId: merchant.merchantId, checkout: { amount: 1050, currency: 'USD', description: 'Tea' } });
  const handler = makeCheckoutHandler({
    sessions,
    merchants: {
      getMerchant: async (merchantId) => ({ merchantId, name: 'Tea Shop', email: 'tea@example.com', defaultCurrency: 'USD', createdAt: opened.toISOString() }),
      defaultCurrencyOf: async () => 'USD',
    },
    transactions: new MemoryTransactions([]),
    customers: new MemoryCustomers(),
    orders: noOrders,
    vault,
    fingerprints,
    now: () => now,
    ...memoryPipeline(),
  });
  const caller = { principal: 'checkout_session', merchantId: merchant.merchantId, sessionId: session.id } as const;
  return { handler, sessions, caller, setNow: (at: Date) => (now = at) };
}

describe('the checkout function', () => {
  it("shows what is paid, the merchant's name and no payment yet", async () => {
    const { handler, caller } = await build();

    const response = await handler(apiEvent('GET', '/checkout', { caller }), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toMatchObject({
      session_id: 'chk_1',
      merchant_name: 'Tea Shop',
      amount: 1050,
      currency: 'USD',
      currency_exponent: 2,
      description: 'Tea',
      payment: null,
    });
  });

  it('refuses the session with 401 once the clock passes its lifetime, though the authorizer let it in', async () => {
    const { handler, caller, setNow } = await build();
    setNow(new Date(opened.getTime() + SESSION_LIFETIME_SECONDS * 1000));

    const response = await handler(apiEvent('GET', '/checkout', { caller }), lambdaContext);

    expect(response.statusCode).toBe(401);
  });

  it('answers an expired card with 402 before it claims a payment on the session', async () => {
    const { handler, sessions, caller } = await build();
    const body = { card_number: '4242424242424242', exp_month: 12, exp_year: 2029, cvc: '123' };

    const response = await handler(apiEvent('POST', '/checkout/pay', { caller, body: JSON.stringify(body) }), lambdaContext);

    expect(response.statusCode).toBe(402);
    expect(jsonOf(response)).toMatchObject({ code: 'expired_card' });
    expect((await sessions.getOwned(merchant.merchantId, 'chk_1'))?.attempts).toBe(0);
  });
});
