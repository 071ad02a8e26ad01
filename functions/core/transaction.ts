/**
 * The transaction state machine. Every function here is pure: it takes a transaction, an input and `now`,
 * and returns the next transaction with the events the change produces, or throws without changing
 * anything. Persisting the result (conditionally, on `version`) is the repository's job.
 *
 *   pending ──► authorized ──► captured ──► settled
 *      │            │             │            │
 *      ├► declined  └► canceled   └► refunded ◄┘   (a partial refund keeps captured or settled)
 *      ├► failed
 *      └► canceled
 */
import type { CardBrand } from './card.ts';
import { InvalidRequestError, StateConflictError } from './errors.ts';
import { requireAmount, requireCurrency } from './money.ts';
import type { AuthorizationResult } from './processor.ts';

export const transactionStatuses = [
  'pending',
  'authorized',
  'captured',
  'settled',
  'declined',
  'failed',
  'canceled',
  'refunded',
] as const;
export type TransactionStatus = (typeof transactionStatuses)[number];

/** `automatic` captures as soon as the issuer approves; `manual` stops at `authorized` until a capture call. */
export const captureMethods = ['automatic', 'manual'] as const;
export type CaptureMethod = (typeof captureMethods)[number];

/** Which status may become which. Every function below checks its move against this table. */
const transitions: { readonly [From in TransactionStatus]: readonly TransactionStatus[] } = {
  pending: ['authorized', 'declined', 'failed', 'canceled'],
  authorized: ['captured', 'canceled'],
  captured: ['settled', 'refunded'],
  settled: ['refunded'],
  declined: [],
  failed: [],
  canceled: [],
  refunded: [],
};

export function canTransition(from: TransactionStatus, to: TransactionStatus): boolean {
  return transitions[from].includes(to);
}

export interface TransactionCard {
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** Keyed HMAC of the number: the same card gives the same fingerprint for one gateway. */
  readonly fingerprint: string;
}

export interface Refund {
  /** `re_...` */
  readonly id: string;
  readonly amount: number;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
}

export interface Transaction {
  /** `txn_...` */
  readonly id: string;
  readonly merchantId: string;
  /** Authorized amount, in minor units of `currency`. */
  readonly amount: number;
  /** ISO 4217 code. */
  readonly currency: string;
  readonly status: TransactionStatus;
  readonly amountCaptured: number;
  readonly amountRefunded: number;
  readonly captureMethod: CaptureMethod;
  readonly customerId?: string;
  readonly orderId?: string;
  readonly description?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly card: TransactionCard;
  /** The issuer's approval code, kept for disputes and reconciliation with the acquirer. */
  readonly authorizationCode?: string;
  readonly declineCode?: string;
  readonly failureCode?: string;
  readonly refunds: readonly Refund[];
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** 1 when created, +1 with every change: the repository writes on the condition that it is unchanged. */
  readonly version: number;
}

export const paymentEventTypes = [
  'payment.pending',
  'payment.authorized',
  'payment.declined',
  'payment.failed',
  'payment.captured',
  'payment.settled',
  'payment.canceled',
  'payment.refunded',
] as const;
export type PaymentEventType = (typeof paymentEventTypes)[number];

export type PublicRefund = {
  readonly refund_id: string;
  readonly transaction_id: string;
  readonly amount: number;
  readonly currency: string;
  readonly created: string;
};

/** The transaction as a merchant sees it, in the API and in events. No card number, no CVC. */
export type PublicTransaction = {
  readonly transaction_id: string;
  readonly merchant_id: string;
  readonly status: TransactionStatus;
  readonly amount: number;
  readonly currency: string;
  readonly amount_captured: number;
  readonly amount_refunded: number;
  readonly capture: CaptureMethod;
  readonly customer_id: string | null;
  readonly order_id: string | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly card: {
    readonly brand: CardBrand;
    readonly last4: string;
    readonly exp_month: number;
    readonly exp_year: number;
    readonly fingerprint: string;
  };
  readonly decline_code: string | null;
  readonly failure_code: string | null;
  readonly refunds: readonly PublicRefund[];
  readonly created: string;
  readonly updated: string;
  /** The same as `created`: list items carry `date` by contract. */
  readonly date: string;
};

export interface DomainEvent {
  readonly type: PaymentEventType;
  /** The transaction as it stood right after this event's change. */
  readonly data: PublicTransaction;
}

export interface Transition {
  readonly transaction: Transaction;
  readonly events: readonly DomainEvent[];
}

/** What the authorize worker learned: the issuer's answer, or that the processor kept failing. */
export type AuthorizationOutcome = AuthorizationResult | { readonly outcome: 'failed'; readonly failureCode: string };

export interface NewTransaction {
  readonly id: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly captureMethod: CaptureMethod;
  readonly customerId?: string;
  readonly orderId?: string;
  readonly description?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly card: TransactionCard;
}

export function createPendingTransaction(input: NewTransaction, now: Date): Transition {
  const currency = requireCurrency(input.currency);
  const at = now.toISOString();
  const transaction: Transaction = {
    id: input.id,
    merchantId: input.merchantId,
    amount: requireAmount(input.amount, currency),
    currency: currency.code,
    status: 'pending',
    amountCaptured: 0,
    amountRefunded: 0,
    captureMethod: input.captureMethod,
    ...(input.customerId === undefined ? {} : { customerId: input.customerId }),
    ...(input.orderId === undefined ? {} : { orderId: input.orderId }),
    ...(input.description === undefined ? {} : { description: input.description }),
    metadata: input.metadata ?? {},
    card: input.card,
    refunds: [],
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  return { transaction, events: [event('payment.pending', transaction)] };
}

/**
 * Records the processor's answer on a pending transaction. An approval of an automatic-capture payment
 * goes on to captured in the same step, emitting both `payment.authorized` and `payment.captured`.
 */
export function recordAuthorization(txn: Transaction, result: AuthorizationOutcome, now: Date): Transition {
  const base = { updatedAt: now.toISOString(), version: txn.version + 1 };
  switch (result.outcome) {
    case 'approved': {
      requireTransition(txn, 'authorized', 'authorized');
      const authorized: Transaction = {
        ...txn,
        ...base,
        status: 'authorized',
        authorizationCode: result.authorizationCode,
      };
      if (txn.captureMethod === 'manual') return { transaction: authorized, events: [event('payment.authorized', authorized)] };
      const captured: Transaction = { ...authorized, status: 'captured', amountCaptured: authorized.amount };
      return {
        transaction: captured,
        events: [event('payment.authorized', authorized), event('payment.captured', captured)],
      };
    }
    case 'declined': {
      requireTransition(txn, 'declined', 'declined');
      const declined: Transaction = { ...txn, ...base, status: 'declined', declineCode: result.declineCode };
      return { transaction: declined, events: [event('payment.declined', declined)] };
    }
    case 'failed': {
      requireTransition(txn, 'failed', 'marked failed');
      const failed: Transaction = { ...txn, ...base, status: 'failed', failureCode: result.failureCode };
      return { transaction: failed, events: [event('payment.failed', failed)] };
    }
  }
}

/**
 * Captures an authorized transaction, all of it or (with `amount`) part of it; the rest is released. A payment
 * for an order is for exactly the order's amount, and capturing it pays the order: it is captured whole or not at all.
 */
export function capture(txn: Transaction, amount: number | undefined, now: Date): Transition {
  requireTransition(txn, 'captured', 'captured');
  const captured = amount ?? txn.amount;
  requireAmountWithin(captured, txn.amount, 'the authorized amount');
  if (txn.orderId !== undefined && captured !== txn.amount) {
    throw new InvalidRequestError(
      'partial_capture_of_order',
      `This payment pays order ${txn.orderId}: capture all of it (${txn.amount}), or cancel it.`,
      { param: 'amount' },
    );
  }
  const next: Transaction = {
    ...txn,
    status: 'captured',
    amountCaptured: captured,
    updatedAt: now.toISOString(),
    version: txn.version + 1,
  };
  return { transaction: next, events: [event('payment.captured', next)] };
}

/** Voids a pending or authorized transaction. */
export function cancel(txn: Transaction, now: Date): Transition {
  requireTransition(txn, 'canceled', 'canceled');
  const next: Transaction = { ...txn, status: 'canceled', updatedAt: now.toISOString(), version: txn.version + 1 };
  return { transaction: next, events: [event('payment.canceled', next)] };
}

/**
 * Refunds a captured or settled transaction: `amount` of it, or all that is left when absent. The
 * transaction becomes `refunded` once nothing captured is left; a partial refund keeps its status.
 * A refund whose id is already recorded changes nothing (a retried request finds its refund done).
 */
export function refund(txn: Transaction, input: { readonly id: string; readonly amount?: number }, now: Date): Transition {
  if (txn.refunds.some((existing) => existing.id === input.id)) return { transaction: txn, events: [] };
  requireTransition(txn, 'refunded', 'refunded');
  const refundable = txn.amountCaptured - txn.amountRefunded;
  const amount = input.amount ?? refundable;
  requireAmountWithin(amount, refundable, 'the amount captured and not yet refunded');
  const at = now.toISOString();
  const amountRefunded = txn.amountRefunded + amount;
  const next: Transaction = {
    ...txn,
    status: amountRefunded === txn.amountCaptured ? 'refunded' : txn.status,
    amountRefunded,
    refunds: [...txn.refunds, { id: input.id, amount, createdAt: at }],
    updatedAt: at,
    version: txn.version + 1,
  };
  return { transaction: next, events: [event('payment.refunded', next)] };
}

/** Marks a captured transaction settled (the funds moved). */
export function settle(txn: Transaction, now: Date): Transition {
  requireTransition(txn, 'settled', 'settled');
  const next: Transaction = { ...txn, status: 'settled', updatedAt: now.toISOString(), version: txn.version + 1 };
  return { transaction: next, events: [event('payment.settled', next)] };
}

export function toPublicTransaction(txn: Transaction): PublicTransaction {
  return {
    transaction_id: txn.id,
    merchant_id: txn.merchantId,
    status: txn.status,
    amount: txn.amount,
    currency: txn.currency,
    amount_captured: txn.amountCaptured,
    amount_refunded: txn.amountRefunded,
    capture: txn.captureMethod,
    customer_id: txn.customerId ?? null,
    order_id: txn.orderId ?? null,
    description: txn.description ?? null,
    metadata: txn.metadata,
    card: {
      brand: txn.card.brand,
      last4: txn.card.last4,
      exp_month: txn.card.expMonth,
      exp_year: txn.card.expYear,
      fingerprint: txn.card.fingerprint,
    },
    decline_code: txn.declineCode ?? null,
    failure_code: txn.failureCode ?? null,
    refunds: txn.refunds.map((entry) => toPublicRefund(txn, entry)),
    created: txn.createdAt,
    updated: txn.updatedAt,
    date: txn.createdAt,
  };
}

export function toPublicRefund(txn: Transaction, entry: Refund): PublicRefund {
  return {
    refund_id: entry.id,
    transaction_id: txn.id,
    amount: entry.amount,
    currency: txn.currency,
    created: entry.createdAt,
  };
}

function event(type: PaymentEventType, txn: Transaction): DomainEvent {
  return { type, data: toPublicTransaction(txn) };
}

/** Throws the conflict a caller sees when the transaction's status does not allow the move. */
function requireTransition(txn: Transaction, to: TransactionStatus, participle: string): void {
  if (canTransition(txn.status, to)) return;
  const from = transactionStatuses.filter((status) => canTransition(status, to));
  throw new StateConflictError(
    'transaction_state_invalid',
    `This transaction is ${txn.status}; only a transaction that is ${from.join(' or ')} can be ${participle}.`,
  );
}

function requireAmountWithin(amount: number, limit: number, limitName: string): void {
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > limit) {
    throw new InvalidRequestError(
      'invalid_amount',
      `The amount must be an integer from 1 to ${limit}, ${limitName}, in minor units.`,
      { param: 'amount' },
    );
  }
}
