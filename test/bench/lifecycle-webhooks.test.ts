/**
 * The lifecycle's drain condition: every measured payment has received every expected event type at the
 * bench's webhook endpoint, and the report says per type what arrived.
 */
import { describe, expect, it } from 'vitest';
import { EXPECTED_PAYMENT_EVENTS, WebhookTally } from '../../bench/lifecycle.ts';
import { largerOfEach } from '../../bench/stats.ts';

const delivery = (transactionId: string, type: string) => ({ type, timestamp: '2026-11-22T00:00:00Z', data: { transaction_id: transactionId, status: 'x' } });

describe('webhook tally', () => {
  it('expects the four events of a payment that is created, authorized, captured and settled', () => {
    expect(EXPECTED_PAYMENT_EVENTS).toEqual(['payment.pending', 'payment.authorized', 'payment.captured', 'payment.settled']);
  });

  it('counts a payment complete only once every expected type has arrived for it', () => {
    const tally = new WebhookTally();
    for (const type of EXPECTED_PAYMENT_EVENTS) tally.add(delivery('txn_1', type), `evt_1_${type}`);
    for (const type of EXPECTED_PAYMENT_EVENTS.slice(0, 3)) tally.add(delivery('txn_2', type), `evt_2_${type}`);

    expect(tally.completePayments(['txn_1', 'txn_2'])).toBe(1);
    expect(tally.completePayments(['txn_1'])).toBe(1);
    expect(tally.completePayments(['txn_3'])).toBe(0);
  });

  it('reports per type how many payments received it and how many deliveries came, repeats told apart by webhook-id', () => {
    const tally = new WebhookTally();
    tally.add(delivery('txn_1', 'payment.pending'), 'evt_a');
    tally.add(delivery('txn_1', 'payment.pending'), 'evt_a');
    tally.add(delivery('txn_2', 'payment.pending'), 'evt_b');
    tally.add(delivery('txn_2', 'payment.settled'), 'evt_c');
    tally.add(delivery('txn_other', 'payment.settled'), 'evt_d');

    expect(tally.received(['txn_1', 'txn_2'])).toEqual({
      paymentsByType: { 'payment.pending': 2, 'payment.settled': 1 },
      deliveriesByType: { 'payment.pending': 3, 'payment.settled': 1 },
      repeats: 1,
      delivered: 4,
    });
  });

  it('ignores what is not a payment event', () => {
    const tally = new WebhookTally();
    tally.add({ type: 'customer.created', data: { customer_id: 'cus_1' } }, 'evt_x');
    tally.add('not json', undefined);

    expect(tally.received(['txn_1']).delivered).toBe(0);
  });
});

describe('request counts from two vantage points', () => {
  it('keeps the larger count of each operation', () => {
    expect(largerOfEach({ PutItem: 3, GetItem: 5 }, { PutItem: 4, Query: 1 })).toEqual({ PutItem: 4, GetItem: 5, Query: 1 });
  });
});
