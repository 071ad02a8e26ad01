import { describe, expect, it } from 'vitest';
import { attachPaymentMethod, createCustomer, type Customer, type PaymentMethod } from '../../../functions/core/customer.ts';
import type { CardFingerprinter, CardVault } from '../../../functions/core/vault.ts';
import { makeWalletHandler } from '../../../functions/hosted/wallet-handler.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { MemoryCustomers } from '../customers/memory-customers.ts';
import { MemorySessions } from './memory-sessions.ts';

const now = new Date('2030-01-01T00:00:00.000Z');
const noVault: CardVault = { seal: () => Promise.reject(new Error('no card is saved here')), open: () => Promise.reject(new Error('no card is opened here')) };
const noFingerprints: CardFingerprinter = { fingerprint: () => Promise.reject(new Error('no card is saved here')) };

function customerWithCard(customerId: string, paymentMethodId: string): { customer: Customer; card: PaymentMethod } {
  const card: PaymentMethod = {
    id: paymentMethodId,
    merchantId: merchant.merchantId,
    customerId,
    card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2031, fingerprint: 'fp_1' },
    createdAt: now.toISOString(),
  };
  const created = createCustomer({ id: customerId, merchantId: merchant.merchantId }, now).customer;
  return { customer: attachPaymentMethod(created, card, now).customer, card };
}

async function build() {
  const own = customerWithCard('cus_OWN', 'pm_OWN');
  const other = customerWithCard('cus_OTHER', 'pm_OTHER');
  const customers = new MemoryCustomers([own.customer, other.customer]);
  for (const { card } of [own, other]) await customers.savePaymentMethod(card, `sealed:${card.id}`);
  const sessions = new MemorySessions(() => now);
  const { session } = await sessions.create({ id: 'ptl_1', kind: 'portal', merchantId: merchant.merchantId, customerId: own.customer.id });
  const handler = makeWalletHandler({
    sessions,
    customers,
    transactions: { list: () => Promise.reject(new Error('no payment is listed here')) },
    vault: noVault,
    fingerprints: noFingerprints,
    now: () => now,
    ...memoryPipeline(),
  });
  const caller = { principal: 'portal_session', merchantId: merchant.merchantId, sessionId: session.id } as const;
  return { handler, customers, caller };
}

describe('the wallet function', () => {
  it("shows the session's customer's cards, the default marked", async () => {
    const { handler, caller } = await build();

    const response = await handler(apiEvent('GET', '/wallet', { caller }), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toMatchObject({
      customer_id: 'cus_OWN',
      cards: [{ payment_method_id: 'pm_OWN', is_default: true, brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2031 }],
    });
  });

  it("answers 404 for another customer's card, and leaves it attached to its customer", async () => {
    const { handler, customers, caller } = await build();

    const response = await handler(
      apiEvent('DELETE', '/wallet/payment_methods/{id}', { caller, path: '/wallet/payment_methods/pm_OTHER', pathParameters: { id: 'pm_OTHER' } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(404);
    expect((await customers.getOwned(merchant.merchantId, 'cus_OTHER'))?.paymentMethodIds).toEqual(['pm_OTHER']);
  });
});
