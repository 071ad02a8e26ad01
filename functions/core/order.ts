/**
 * Orders: an amount to be paid once. Pure, like the transaction state machine.
 *
 * At most one payment may be under way for an order, and only one may ever pay it. With single-item
 * conditional writes only (no transactions on dynalite), the order's own item arbitrates:
 *   1. POST /payments claims the order for its new transaction (`transactionId`), on the order's version,
 *      before it creates the transaction. A second payment finds the claim and is refused at once (409).
 *      A claim lapses only when its payment can no longer pay (declined, failed, canceled), or when its
 *      transaction was never created (the request died) and a grace period has passed.
 *   2. The authorize worker confirms the claim (a version-bumping write) before it asks the processor. A
 *      payment whose claim was taken over meanwhile is failed with `order_already_paid` or
 *      `order_payment_in_progress`, without reaching the processor. The confirming write also defeats a
 *      late take-over that read the order before the transaction existed: its version is stale.
 *   3. When the payment is captured (whole: a partial capture of it is refused), the order becomes `paid` on
 *      the condition that it is still open and claimed by that payment, and `order.paid` is written in the same write.
 */
import { InvalidRequestError, StateConflictError } from './errors.ts';
import { requireAmount, requireCurrency } from './money.ts';
import type { TransactionStatus } from './transaction.ts';

export const orderStatuses = ['open', 'paid'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export interface Order {
  /** `ord_...` */
  readonly id: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly customerId?: string;
  readonly description?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: OrderStatus;
  /** The payment that holds the claim: the one paying the order, or that paid it. */
  readonly transactionId?: string;
  /** ISO 8601 UTC: when that payment claimed the order. */
  readonly claimedAt?: string;
  /** True once the authorize worker confirmed the claim: the payment exists and nobody may take it over. */
  readonly claimConfirmed?: boolean;
  readonly paidAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export type PublicOrder = {
  readonly order_id: string;
  readonly amount: number;
  readonly currency: string;
  readonly customer_id: string | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: OrderStatus;
  readonly transaction_id: string | null;
  readonly paid_at: string | null;
  readonly created: string;
  readonly updated: string;
};

export const orderEventTypes = ['order.paid'] as const;

export interface OrderEvent {
  readonly type: (typeof orderEventTypes)[number];
  readonly data: PublicOrder;
}

export interface OrderTransition {
  readonly order: Order;
  readonly events: readonly OrderEvent[];
}

/** How long a claim whose transaction does not exist is kept for the request that is creating it. */
export const UNCREATED_CLAIM_GRACE_MS = 60_000;

/** Statuses of a payment that can no longer pay its order: its claim lapses. */
const CLAIM_RELEASING_STATUSES: readonly TransactionStatus[] = ['declined', 'failed', 'canceled'];

export interface NewOrder {
  readonly id: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly customerId?: string;
  readonly description?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function createOrder(input: NewOrder, now: Date): Order {
  const currency = requireCurrency(input.currency);
  const at = now.toISOString();
  return {
    id: input.id,
    merchantId: input.merchantId,
    amount: requireAmount(input.amount, currency),
    currency: currency.code,
    ...(input.customerId === undefined ? {} : { customerId: input.customerId }),
    ...(input.description === undefined ? {} : { description: input.description }),
    metadata: input.metadata ?? {},
    status: 'open',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** A payment for an order must be for exactly its amount and currency, and for its customer if it has one. */
export function requirePaymentMatchesOrder(
  order: Order,
  payment: { readonly amount: number; readonly currency: string; readonly customerId?: string | undefined },
): void {
  if (payment.currency !== order.currency) {
    throw new InvalidRequestError(
      'order_currency_mismatch',
      `The order is in ${order.currency}; a payment for it must be in ${order.currency} too.`,
      { param: 'currency' },
    );
  }
  if (payment.amount !== order.amount) {
    throw new InvalidRequestError(
      'order_amount_mismatch',
      `The order is for ${order.amount} (minor units of ${order.currency}); a payment for it must be for exactly that.`,
      { param: 'amount' },
    );
  }
  if (order.customerId !== undefined && payment.customerId !== undefined && payment.customerId !== order.customerId) {
    throw new InvalidRequestError('order_customer_mismatch', "The payment's customer is not the order's customer.", {
      param: 'customer_id',
    });
  }
}

/** What is known of the payment that holds an order's claim: its status, or that it does not exist. */
export type ClaimHolder = { readonly status: TransactionStatus } | 'missing';

/**
 * Claims an open order for `transactionId`. Returns the order unchanged when that payment holds the claim
 * already (a retried request); throws 409 when the order is paid or another payment may still pay it.
 */
export function claimOrder(order: Order, transactionId: string, holder: ClaimHolder | undefined, now: Date): Order {
  if (order.transactionId === transactionId) return order;
  if (order.status === 'paid') throw orderAlreadyPaid();
  if (order.transactionId !== undefined && !claimHasLapsed(order, holder, now)) throw orderPaymentInProgress(order.transactionId);
  const at = now.toISOString();
  const { claimConfirmed: _confirmed, ...rest } = order;
  return { ...rest, transactionId, claimedAt: at, updatedAt: at, version: order.version + 1 };
}

function claimHasLapsed(order: Order, holder: ClaimHolder | undefined, now: Date): boolean {
  if (holder === undefined) return false;
  if (holder === 'missing') {
    const claimedAt = Date.parse(order.claimedAt ?? order.updatedAt);
    return order.claimConfirmed !== true && now.getTime() - claimedAt >= UNCREATED_CLAIM_GRACE_MS;
  }
  return CLAIM_RELEASING_STATUSES.includes(holder.status);
}

export type ClaimConfirmation =
  | { readonly outcome: 'confirmed'; readonly order: Order }
  | { readonly outcome: 'lost'; readonly failureCode: 'order_already_paid' | 'order_payment_in_progress' };

/**
 * Before a payment for an order goes to the processor: it must still hold the claim. The returned order is
 * to be written on the version it was read at (unless it is the same object: already confirmed).
 */
export function confirmClaim(order: Order, transactionId: string, now: Date): ClaimConfirmation {
  if (order.transactionId !== transactionId) {
    return { outcome: 'lost', failureCode: order.status === 'paid' ? 'order_already_paid' : 'order_payment_in_progress' };
  }
  if (order.claimConfirmed === true || order.status === 'paid') return { outcome: 'confirmed', order };
  return {
    outcome: 'confirmed',
    order: { ...order, claimConfirmed: true, updatedAt: now.toISOString(), version: order.version + 1 },
  };
}

/**
 * Marks the order paid by its claiming payment, with `order.paid`. Already paid by it: nothing changes.
 * Paid by, or claimed by, another payment: a conflict, which the claim protocol above makes unreachable.
 * A payment that captured less than the order's amount does not pay it: a conflict too, which `capture`
 * (core/transaction.ts) makes unreachable by refusing a partial capture of a payment for an order.
 */
export function markOrderPaid(
  order: Order,
  payment: { readonly id: string; readonly amountCaptured: number },
  now: Date,
): OrderTransition {
  if (order.transactionId !== payment.id) {
    throw order.status === 'paid' ? orderAlreadyPaid() : orderPaymentInProgress(order.transactionId ?? 'none');
  }
  if (order.status === 'paid') return { order, events: [] };
  if (payment.amountCaptured !== order.amount) {
    throw new StateConflictError(
      'order_amount_mismatch',
      `Payment ${payment.id} captured ${payment.amountCaptured} of the order's ${order.amount}; the order stays open.`,
      { param: 'order_id' },
    );
  }
  const at = now.toISOString();
  const paid: Order = { ...order, status: 'paid', paidAt: at, updatedAt: at, version: order.version + 1 };
  return { order: paid, events: [{ type: 'order.paid', data: toPublicOrder(paid) }] };
}

export function toPublicOrder(order: Order): PublicOrder {
  return {
    order_id: order.id,
    amount: order.amount,
    currency: order.currency,
    customer_id: order.customerId ?? null,
    description: order.description ?? null,
    metadata: order.metadata,
    status: order.status,
    transaction_id: order.transactionId ?? null,
    paid_at: order.paidAt ?? null,
    created: order.createdAt,
    updated: order.updatedAt,
  };
}

function orderAlreadyPaid(): StateConflictError {
  return new StateConflictError('order_already_paid', 'This order is paid already; it cannot be paid again.', {
    param: 'order_id',
  });
}

function orderPaymentInProgress(transactionId: string): StateConflictError {
  return new StateConflictError(
    'order_payment_in_progress',
    `Payment ${transactionId} for this order is under way; wait for its outcome before paying the order again.`,
    { param: 'order_id' },
  );
}
