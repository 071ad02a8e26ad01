import { NotFoundError, StateConflictError } from '../core/errors.ts';
import {
  cancel,
  capture,
  refund,
  settle,
  type Refund,
  type Transaction,
  type Transition,
} from '../core/transaction.ts';
import type { Orders } from '../orders/ports.ts';
import { markOrderPaidAfterCapture, markOrderPaidBy } from '../orders/orders.ts';
import { settleCommand, type QueueCommand, type ReceivedCommand, type Transactions } from './ports.ts';

export interface ChangePaymentDeps {
  readonly transactions: Transactions;
  readonly now: () => Date;
}

/** Capturing and settling also mark a paid order. */
export interface CapturePaymentDeps extends ChangePaymentDeps {
  readonly orders: Orders;
}

/** A racing writer (the authorize worker, another request) may win a write; then we read again and retry. */
const MAX_ATTEMPTS = 5;

/**
 * Reads the merchant's transaction, computes a transition, and writes it on the condition that nobody
 * changed the transaction meanwhile. Another merchant's transaction is "not found", exactly like a missing one.
 */
async function changeOwnedTransaction(
  deps: ChangePaymentDeps,
  merchantId: string,
  transactionId: string,
  change: (txn: Transaction, now: Date) => { transition: Transition; commands?: readonly QueueCommand[] },
): Promise<Transaction> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const current = await deps.transactions.getOwned(merchantId, transactionId);
    if (current === undefined) throw new NotFoundError('transaction', transactionId, 'transaction_id');
    const { transition, commands } = change(current, deps.now());
    if ((await deps.transactions.apply(current, transition, commands)) === 'written') return transition.transaction;
  }
  throw new StateConflictError('transaction_busy', 'The transaction is being changed by another request; retry.');
}

export async function capturePayment(
  deps: CapturePaymentDeps,
  merchantId: string,
  transactionId: string,
  amount: number | undefined,
): Promise<Transaction> {
  const captured = await changeOwnedTransaction(deps, merchantId, transactionId, (txn, now) => {
    const transition = capture(txn, amount, now);
    return { transition, commands: [settleCommand(txn.id)] };
  });
  // The capture is written: the answer is the capture's, even if the order cannot be marked paid now.
  await markOrderPaidAfterCapture(deps, captured);
  return captured;
}

export function cancelPayment(deps: ChangePaymentDeps, merchantId: string, transactionId: string): Promise<Transaction> {
  return changeOwnedTransaction(deps, merchantId, transactionId, (txn, now) => ({ transition: cancel(txn, now) }));
}

export async function refundPayment(
  deps: ChangePaymentDeps,
  merchantId: string,
  transactionId: string,
  refundInput: { readonly id: string; readonly amount?: number },
): Promise<{ transaction: Transaction; refund: Refund }> {
  const transaction = await changeOwnedTransaction(deps, merchantId, transactionId, (txn, now) => ({
    transition: refund(txn, refundInput, now),
  }));
  const recorded = transaction.refunds.find((entry) => entry.id === refundInput.id);
  if (recorded === undefined) throw new Error(`Refund ${refundInput.id} was not recorded`);
  return { transaction, refund: recorded };
}

/**
 * Settles a captured transaction. Anything else (already settled, refunded meanwhile, unknown) is not an
 * error for the settlement queue: the message is done.
 */
export async function settlePayment(deps: CapturePaymentDeps, command: ReceivedCommand): Promise<'settled' | 'skipped'> {
  const { transactionId } = command;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const stored = await deps.transactions.get(transactionId);
    if (stored === undefined) return 'skipped';
    const { orderId, amountCaptured } = stored.transaction;
    // Repairs a capture whose process died, or failed, before marking its order paid (idempotent when it did not).
    // A failure here fails the message, which is redelivered: the order is marked before the payment settles.
    if (orderId !== undefined && amountCaptured > 0) await markOrderPaidBy(deps, orderId, stored.transaction);
    if (stored.transaction.status !== 'captured') {
      // Settled already, perhaps by a consumer that died before publishing its event: publish it again.
      if (command.redelivered) await deps.transactions.republish(transactionId);
      return 'skipped';
    }
    const transition = settle(stored.transaction, deps.now());
    if ((await deps.transactions.apply(stored.transaction, transition, [], command)) === 'written') return 'settled';
  }
  throw new StateConflictError('transaction_busy', `Transaction ${transactionId} kept changing while settling`);
}
