import { describe, expect, it } from 'vitest';
import {
  attachPaymentMethod,
  createCustomer,
  defaultPaymentMethodOf,
  detachPaymentMethod,
  MAX_PAYMENT_METHODS_PER_CUSTOMER,
  setDefaultPaymentMethod,
  toPublicPaymentMethod,
  type Customer,
  type PaymentMethod,
} from '../../../functions/core/customer.ts';

const now = new Date('2026-01-15T10:00:00Z');
const later = new Date('2026-01-15T11:00:00Z');

const card = (id: string, last4 = '4242'): PaymentMethod => ({
  id,
  merchantId: 'mer_1',
  customerId: 'cus_1',
  card: { brand: 'visa', last4, expMonth: 12, expYear: 2030, fingerprint: `fp_${last4}` },
  createdAt: now.toISOString(),
});

const newCustomer = (): Customer => createCustomer({ id: 'cus_1', merchantId: 'mer_1', email: 'a@example.com' }, now).customer;

function withCards(...ids: string[]): Customer {
  return ids.reduce((customer, id) => attachPaymentMethod(customer, card(id), now).customer, newCustomer());
}

describe('customers', () => {
  it('are created with customer.created, no card and no default', () => {
    const { customer, events } = createCustomer({ id: 'cus_1', merchantId: 'mer_1', name: 'Ada' }, now);

    expect(customer).toMatchObject({ paymentMethodIds: [], version: 1, metadata: {} });
    expect(customer.defaultPaymentMethodId).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual(['customer.created']);
    expect(events[0]?.data).toMatchObject({ customer_id: 'cus_1', name: 'Ada', default_payment_method_id: null });
  });
});

describe('attaching a card', () => {
  it('makes the first card the default, with both events', () => {
    const { customer, events } = attachPaymentMethod(newCustomer(), card('pm_a'), later);

    expect(customer).toMatchObject({ paymentMethodIds: ['pm_a'], defaultPaymentMethodId: 'pm_a', version: 2 });
    expect(events.map((event) => event.type)).toEqual(['payment_method.attached', 'customer.default_payment_method_updated']);
    expect(events[0]?.data).toMatchObject({ payment_method_id: 'pm_a', status: 'attached', is_default: true });
  });

  it('keeps the default when a second card is attached', () => {
    const { customer, events } = attachPaymentMethod(withCards('pm_a'), card('pm_b'), later);

    expect(customer).toMatchObject({ paymentMethodIds: ['pm_a', 'pm_b'], defaultPaymentMethodId: 'pm_a' });
    expect(events.map((event) => event.type)).toEqual(['payment_method.attached']);
  });

  it('changes nothing when the card is attached already (a retried request)', () => {
    const customer = withCards('pm_a');

    const transition = attachPaymentMethod(customer, card('pm_a'), later);

    expect(transition.customer).toBe(customer);
    expect(transition.events).toEqual([]);
  });

  it(`refuses a card beyond ${MAX_PAYMENT_METHODS_PER_CUSTOMER}`, () => {
    const full = withCards(...Array.from({ length: MAX_PAYMENT_METHODS_PER_CUSTOMER }, (_, i) => `pm_${i}`));

    expect(() => attachPaymentMethod(full, card('pm_extra'), later)).toThrow(expect.objectContaining({ code: 'too_many_payment_methods' }));
  });
});

describe('switching the default', () => {
  it('names an attached card, with customer.default_payment_method_updated', () => {
    const { customer, events } = setDefaultPaymentMethod(withCards('pm_a', 'pm_b'), 'pm_b', later);

    expect(customer.defaultPaymentMethodId).toBe('pm_b');
    expect(events.map((event) => event.type)).toEqual(['customer.default_payment_method_updated']);
  });

  it('changes nothing and emits nothing for the current default', () => {
    const customer = withCards('pm_a');

    expect(setDefaultPaymentMethod(customer, 'pm_a', later)).toEqual({ customer, events: [] });
  });

  it('refuses a card that is not attached to the customer with 404', () => {
    expect(() => setDefaultPaymentMethod(withCards('pm_a'), 'pm_other', later)).toThrow(
      expect.objectContaining({ kind: 'not_found', param: 'payment_method_id' }),
    );
  });
});

describe('detaching a card', () => {
  it('of the default makes the most recently attached remaining card the default', () => {
    const customer = setDefaultPaymentMethod(withCards('pm_a', 'pm_b', 'pm_c'), 'pm_a', now).customer;

    const { customer: next, events } = detachPaymentMethod(customer, card('pm_a'), later);

    expect(next).toMatchObject({ paymentMethodIds: ['pm_b', 'pm_c'], defaultPaymentMethodId: 'pm_c' });
    expect(events.map((event) => event.type)).toEqual(['payment_method.detached', 'customer.default_payment_method_updated']);
    expect(events[0]?.data).toMatchObject({ payment_method_id: 'pm_a', status: 'detached', is_default: false });
  });

  it('of the last card leaves no default, and a payment by customer alone is refused', () => {
    const { customer } = detachPaymentMethod(withCards('pm_a'), card('pm_a'), later);

    expect(customer.paymentMethodIds).toEqual([]);
    expect(customer.defaultPaymentMethodId).toBeUndefined();
    expect(() => defaultPaymentMethodOf(customer)).toThrow(expect.objectContaining({ code: 'no_default_payment_method' }));
  });

  it('of another card keeps the default and emits only payment_method.detached', () => {
    const { customer, events } = detachPaymentMethod(withCards('pm_a', 'pm_b'), card('pm_b'), later);

    expect(customer.defaultPaymentMethodId).toBe('pm_a');
    expect(events.map((event) => event.type)).toEqual(['payment_method.detached']);
  });

  it('twice changes nothing the second time', () => {
    const once = detachPaymentMethod(withCards('pm_a', 'pm_b'), card('pm_b'), later).customer;

    expect(detachPaymentMethod(once, card('pm_b'), later)).toEqual({ customer: once, events: [] });
  });
});

describe('the public payment method', () => {
  it('carries the card data and fingerprint, and marks the default', () => {
    const customer = withCards('pm_a', 'pm_b');

    expect(toPublicPaymentMethod(card('pm_b', '4444'), customer)).toEqual({
      payment_method_id: 'pm_b',
      customer_id: 'cus_1',
      type: 'card',
      status: 'attached',
      is_default: false,
      brand: 'visa',
      last4: '4444',
      exp_month: 12,
      exp_year: 2030,
      fingerprint: 'fp_4444',
      created: now.toISOString(),
    });
  });
});
