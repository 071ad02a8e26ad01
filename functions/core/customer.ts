/**
 * Customers and their saved cards. Pure: each function takes a customer, an input and `now`, and returns the
 * next customer with the events the change produces, or throws without changing anything.
 *
 * The customer is the aggregate: it holds the ids of its attached cards (oldest first) and its default, so
 * attaching, detaching and switching the default are each ONE conditional write on the customer's item,
 * with their events. A saved card's own record (card data, sealed number) is written once and never changes
 * what is attached: a card is attached exactly when its id is in the customer's list.
 */
import type { TransactionCard } from './transaction.ts';
import { InvalidRequestError, NotFoundError, StateConflictError } from './errors.ts';

export interface Customer {
  /** `cus_...` */
  readonly id: string;
  readonly merchantId: string;
  readonly email?: string;
  readonly name?: string;
  readonly description?: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Attached cards, oldest first. */
  readonly paymentMethodIds: readonly string[];
  readonly defaultPaymentMethodId?: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** 1 when created, +1 with every change: the repository writes on the condition that it is unchanged. */
  readonly version: number;
}

/** A saved card, without its (sealed) number. */
export interface PaymentMethod {
  /** `pm_...` */
  readonly id: string;
  readonly merchantId: string;
  readonly customerId: string;
  readonly card: TransactionCard;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

export const customerEventTypes = [
  'customer.created',
  'payment_method.attached',
  'payment_method.detached',
  'customer.default_payment_method_updated',
] as const;
export type CustomerEventType = (typeof customerEventTypes)[number];

export type PublicCustomer = {
  readonly customer_id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly default_payment_method_id: string | null;
  readonly created: string;
  readonly updated: string;
};

export type PaymentMethodStatus = 'attached' | 'detached';

/** A saved card as a merchant sees it: never the number, never a CVC (none is kept). */
export type PublicPaymentMethod = {
  readonly payment_method_id: string;
  readonly customer_id: string;
  readonly type: 'card';
  readonly status: PaymentMethodStatus;
  readonly is_default: boolean;
  readonly brand: TransactionCard['brand'];
  readonly last4: string;
  readonly exp_month: number;
  readonly exp_year: number;
  readonly fingerprint: string;
  readonly created: string;
};

export interface CustomerEvent {
  readonly type: CustomerEventType;
  readonly data: PublicCustomer | PublicPaymentMethod;
}

export interface CustomerTransition {
  readonly customer: Customer;
  readonly events: readonly CustomerEvent[];
}

/** Keeps a customer's item far below DynamoDB's 400 KB and its list pages cheap. */
export const MAX_PAYMENT_METHODS_PER_CUSTOMER = 100;

export interface NewCustomer {
  readonly id: string;
  readonly merchantId: string;
  readonly email?: string;
  readonly name?: string;
  readonly description?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function createCustomer(input: NewCustomer, now: Date): CustomerTransition {
  const at = now.toISOString();
  const customer: Customer = {
    id: input.id,
    merchantId: input.merchantId,
    ...(input.email === undefined ? {} : { email: input.email }),
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    metadata: input.metadata ?? {},
    paymentMethodIds: [],
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  return { customer, events: [{ type: 'customer.created', data: toPublicCustomer(customer) }] };
}

export function isAttached(customer: Customer, paymentMethodId: string): boolean {
  return customer.paymentMethodIds.includes(paymentMethodId);
}

/** Throws 409 `too_many_payment_methods` when the customer has as many cards as it may have. */
export function requireRoomForPaymentMethod(customer: Customer): void {
  if (customer.paymentMethodIds.length < MAX_PAYMENT_METHODS_PER_CUSTOMER) return;
  throw new StateConflictError(
    'too_many_payment_methods',
    `A customer can have at most ${MAX_PAYMENT_METHODS_PER_CUSTOMER} saved cards; detach one first.`,
    { param: 'customer_id' },
  );
}

/**
 * Attaches a saved card. The customer's first card becomes its default, so that a payment naming only the
 * customer can be charged at once. Attaching an attached card changes nothing (a retried request).
 */
export function attachPaymentMethod(customer: Customer, paymentMethod: PaymentMethod, now: Date): CustomerTransition {
  requireSameCustomer(customer, paymentMethod);
  if (isAttached(customer, paymentMethod.id)) return { customer, events: [] };
  requireRoomForPaymentMethod(customer);
  const becomesDefault = customer.defaultPaymentMethodId === undefined;
  const next: Customer = {
    ...customer,
    paymentMethodIds: [...customer.paymentMethodIds, paymentMethod.id],
    ...(becomesDefault ? { defaultPaymentMethodId: paymentMethod.id } : {}),
    updatedAt: now.toISOString(),
    version: customer.version + 1,
  };
  const events: CustomerEvent[] = [
    { type: 'payment_method.attached', data: toPublicPaymentMethod(paymentMethod, next) },
  ];
  if (becomesDefault) events.push(defaultUpdated(next));
  return { customer: next, events };
}

/**
 * Detaches a saved card. When it was the default, the most recently attached remaining card becomes the
 * default, or none when none remains. Detaching a detached card changes nothing.
 */
export function detachPaymentMethod(customer: Customer, paymentMethod: PaymentMethod, now: Date): CustomerTransition {
  requireSameCustomer(customer, paymentMethod);
  if (!isAttached(customer, paymentMethod.id)) return { customer, events: [] };
  const remaining = customer.paymentMethodIds.filter((id) => id !== paymentMethod.id);
  const wasDefault = customer.defaultPaymentMethodId === paymentMethod.id;
  const nextDefault = wasDefault ? remaining[remaining.length - 1] : customer.defaultPaymentMethodId;
  const { defaultPaymentMethodId: _previousDefault, ...rest } = customer;
  const next: Customer = {
    ...rest,
    paymentMethodIds: remaining,
    ...(nextDefault === undefined ? {} : { defaultPaymentMethodId: nextDefault }),
    updatedAt: now.toISOString(),
    version: customer.version + 1,
  };
  const events: CustomerEvent[] = [
    { type: 'payment_method.detached', data: toPublicPaymentMethod(paymentMethod, next) },
  ];
  if (wasDefault) events.push(defaultUpdated(next));
  return { customer: next, events };
}

/** Makes an attached card the default. Naming the current default changes nothing and emits nothing. */
export function setDefaultPaymentMethod(customer: Customer, paymentMethodId: string, now: Date): CustomerTransition {
  if (!isAttached(customer, paymentMethodId)) {
    throw new NotFoundError('payment method attached to this customer', paymentMethodId, 'payment_method_id');
  }
  if (customer.defaultPaymentMethodId === paymentMethodId) return { customer, events: [] };
  const next: Customer = {
    ...customer,
    defaultPaymentMethodId: paymentMethodId,
    updatedAt: now.toISOString(),
    version: customer.version + 1,
  };
  return { customer: next, events: [defaultUpdated(next)] };
}

/** The card to charge when a payment names only the customer. */
export function defaultPaymentMethodOf(customer: Customer): string {
  const id = customer.defaultPaymentMethodId;
  if (id === undefined || !isAttached(customer, id)) {
    throw new InvalidRequestError(
      'no_default_payment_method',
      'This customer has no default card: save one with POST /payment_methods, or pay with `payment_method_id` or a card.',
      { param: 'customer_id' },
    );
  }
  return id;
}

export function toPublicCustomer(customer: Customer): PublicCustomer {
  return {
    customer_id: customer.id,
    email: customer.email ?? null,
    name: customer.name ?? null,
    description: customer.description ?? null,
    metadata: customer.metadata,
    default_payment_method_id: customer.defaultPaymentMethodId ?? null,
    created: customer.createdAt,
    updated: customer.updatedAt,
  };
}

/** The card as it stands on `customer`: attached or not, default or not. */
export function toPublicPaymentMethod(paymentMethod: PaymentMethod, customer: Customer): PublicPaymentMethod {
  const attached = customer.id === paymentMethod.customerId && isAttached(customer, paymentMethod.id);
  return {
    payment_method_id: paymentMethod.id,
    customer_id: paymentMethod.customerId,
    type: 'card',
    status: attached ? 'attached' : 'detached',
    is_default: attached && customer.defaultPaymentMethodId === paymentMethod.id,
    brand: paymentMethod.card.brand,
    last4: paymentMethod.card.last4,
    exp_month: paymentMethod.card.expMonth,
    exp_year: paymentMethod.card.expYear,
    fingerprint: paymentMethod.card.fingerprint,
    created: paymentMethod.createdAt,
  };
}

function defaultUpdated(customer: Customer): CustomerEvent {
  return { type: 'customer.default_payment_method_updated', data: toPublicCustomer(customer) };
}

function requireSameCustomer(customer: Customer, paymentMethod: PaymentMethod): void {
  if (customer.id !== paymentMethod.customerId || customer.merchantId !== paymentMethod.merchantId) {
    throw new Error(`Payment method ${paymentMethod.id} does not belong to customer ${customer.id}`);
  }
}
