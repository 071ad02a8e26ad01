import { describe, expect, it } from 'vitest';
import {
  claimOrder,
  confirmClaim,
  createOrder,
  markOrderPaid,
  requirePaymentMatchesOrder,
  UNCREATED_CLAIM_GRACE_MS,
  type Order,
} from '../../../functions/core/order.ts';

const now = new Date('2026-01-15T10:00:00Z');
const at = (ms: number): Date => new Date(now.getTime() + ms);

const open = (): Order => createOrder({ id: 'ord_1', merchantId: 'mer_1', amount: 1050, currency: 'USD', customerId: 'cus_1' }, now);
const claimedBy = (transactionId: string): Order => claimOrder(open(), transactionId, undefined, now);
/** The payment `id`, captured whole. */
const capturedWhole = (id: string) => ({ id, amountCaptured: 1050 });

describe('creating an order', () => {
  it('checks the amount against the currency and starts open and unclaimed', () => {
    expect(open()).toMatchObject({ status: 'open', amount: 1050, currency: 'USD', version: 1 });
    expect(open().transactionId).toBeUndefined();
    expect(() => createOrder({ id: 'ord_2', merchantId: 'mer_1', amount: 0, currency: 'USD' }, now)).toThrow(
      expect.objectContaining({ code: 'invalid_amount' }),
    );
    expect(() => createOrder({ id: 'ord_2', merchantId: 'mer_1', amount: 5, currency: 'XYZ' }, now)).toThrow(
      expect.objectContaining({ code: 'invalid_currency' }),
    );
  });
});

describe('a payment for an order', () => {
  it.each([
    [{ amount: 1000, currency: 'USD' }, 'order_amount_mismatch', 'amount'],
    [{ amount: 1050, currency: 'EUR' }, 'order_currency_mismatch', 'currency'],
    [{ amount: 1050, currency: 'USD', customerId: 'cus_2' }, 'order_customer_mismatch', 'customer_id'],
  ])('%j is refused with %s', (payment, code, param) => {
    expect(() => requirePaymentMatchesOrder(open(), payment)).toThrow(expect.objectContaining({ kind: 'invalid_request', code, param }));
  });

  it('for its amount, currency and customer (or none named) is accepted', () => {
    expect(() => requirePaymentMatchesOrder(open(), { amount: 1050, currency: 'USD' })).not.toThrow();
    expect(() => requirePaymentMatchesOrder(open(), { amount: 1050, currency: 'USD', customerId: 'cus_1' })).not.toThrow();
  });
});

describe('claiming an order', () => {
  it('records the payment and bumps the version', () => {
    expect(claimedBy('txn_a')).toMatchObject({ transactionId: 'txn_a', claimedAt: now.toISOString(), version: 2 });
  });

  it('by the payment that holds it changes nothing (a retried request)', () => {
    const order = claimedBy('txn_a');

    expect(claimOrder(order, 'txn_a', undefined, at(1))).toBe(order);
  });

  it.each(['pending', 'authorized', 'captured'] as const)('is refused while the holder is %s', (status) => {
    expect(() => claimOrder(claimedBy('txn_a'), 'txn_b', { status }, at(1))).toThrow(
      expect.objectContaining({ kind: 'conflict', code: 'order_payment_in_progress', param: 'order_id' }),
    );
  });

  it.each(['declined', 'failed', 'canceled'] as const)('passes to a new payment once the holder is %s', (status) => {
    expect(claimOrder(claimedBy('txn_a'), 'txn_b', { status }, at(1))).toMatchObject({ transactionId: 'txn_b', version: 3 });
  });

  it('whose payment was never created is kept for the grace period, then passes on', () => {
    const order = claimedBy('txn_a');

    expect(() => claimOrder(order, 'txn_b', 'missing', at(UNCREATED_CLAIM_GRACE_MS - 1))).toThrow(
      expect.objectContaining({ code: 'order_payment_in_progress' }),
    );
    expect(claimOrder(order, 'txn_b', 'missing', at(UNCREATED_CLAIM_GRACE_MS)).transactionId).toBe('txn_b');
  });

  it('once confirmed is never taken over, even if its payment cannot be read', () => {
    const confirmation = confirmClaim(claimedBy('txn_a'), 'txn_a', now);
    if (confirmation.outcome !== 'confirmed') throw new Error('expected a confirmation');

    expect(() => claimOrder(confirmation.order, 'txn_b', 'missing', at(10 * UNCREATED_CLAIM_GRACE_MS))).toThrow(
      expect.objectContaining({ code: 'order_payment_in_progress' }),
    );
  });

  it('that is paid is refused with order_already_paid', () => {
    const paid = markOrderPaid(claimedBy('txn_a'), capturedWhole('txn_a'), at(1)).order;

    expect(() => claimOrder(paid, 'txn_b', { status: 'declined' }, at(2))).toThrow(expect.objectContaining({ code: 'order_already_paid' }));
  });
});

describe('confirming a claim', () => {
  it('by its holder bumps the version once, then changes nothing', () => {
    const first = confirmClaim(claimedBy('txn_a'), 'txn_a', at(1));
    if (first.outcome !== 'confirmed') throw new Error('expected a confirmation');

    expect(first.order).toMatchObject({ claimConfirmed: true, version: 3 });
    expect(confirmClaim(first.order, 'txn_a', at(2))).toEqual({ outcome: 'confirmed', order: first.order });
  });

  it('by a payment that lost the claim says why', () => {
    expect(confirmClaim(claimedBy('txn_b'), 'txn_a', at(1))).toEqual({ outcome: 'lost', failureCode: 'order_payment_in_progress' });
    const paid = markOrderPaid(claimedBy('txn_b'), capturedWhole('txn_b'), at(1)).order;
    expect(confirmClaim(paid, 'txn_a', at(2))).toEqual({ outcome: 'lost', failureCode: 'order_already_paid' });
  });
});

describe('marking an order paid', () => {
  it('by its holder emits order.paid once', () => {
    const { order, events } = markOrderPaid(claimedBy('txn_a'), capturedWhole('txn_a'), at(1));

    expect(order).toMatchObject({ status: 'paid', paidAt: at(1).toISOString(), transactionId: 'txn_a' });
    expect(events).toEqual([{ type: 'order.paid', data: expect.objectContaining({ order_id: 'ord_1', status: 'paid', transaction_id: 'txn_a' }) }]);
    expect(markOrderPaid(order, capturedWhole('txn_a'), at(2))).toEqual({ order, events: [] });
  });

  it('by its holder that captured less than the order is a conflict, and the order stays open', () => {
    expect(() => markOrderPaid(claimedBy('txn_a'), { id: 'txn_a', amountCaptured: 1 }, at(1))).toThrow(
      expect.objectContaining({ kind: 'conflict', code: 'order_amount_mismatch' }),
    );
  });

  it('by another payment is a conflict', () => {
    expect(() => markOrderPaid(claimedBy('txn_a'), capturedWhole('txn_b'), at(1))).toThrow(expect.objectContaining({ kind: 'conflict' }));
  });
});
