import { recordAuthorization, type AuthorizationOutcome, type Transaction } from '../core/transaction.ts';
import { ProcessorUnavailableError, type CardProcessor } from '../core/processor.ts';
import { SealedCardUnreadableError } from '../core/vault.ts';
import type { Orders } from '../orders/ports.ts';
import { confirmOrderClaim, markOrderPaidAfterCapture } from '../orders/orders.ts';
import { settleCommand, type CardVault, type SealedCard, type ReceivedCommand, type Transactions } from './ports.ts';

export interface AuthorizePaymentDeps {
  readonly transactions: Transactions;
  readonly orders: Orders;
  readonly vault: CardVault;
  readonly processor: CardProcessor;
  readonly now: () => Date;
  /** Called between the processor's answer and the write that records it; tests inject a crash here. */
  readonly afterProcessorAnswered?: () => void;
}

export type AuthorizeOutcome = 'recorded' | 'already_recorded' | 'not_found';

/**
 * Asks the processor about a pending transaction and records its answer — with its events, the deletion of
 * the sealed CVC and, once captured, the settlement command — in one conditional write. A redelivered
 * message for a transaction that is no longer pending changes nothing. The processor dedupes on the
 * transaction id, so a redelivery after a crash gets the first answer again, not a second authorization.
 *
 * Errors it lets through (the circuit is open, KMS or DynamoDB unavailable) leave the message to be retried.
 */
export async function authorizePayment(deps: AuthorizePaymentDeps, command: ReceivedCommand): Promise<AuthorizeOutcome> {
  const { transactionId } = command;
  const stored = await deps.transactions.get(transactionId);
  if (stored === undefined) return 'not_found';
  const { transaction: txn, sealedCard } = stored;
  if (txn.status !== 'pending') {
    // A message that comes back: the consumer that recorded the answer may have died before publishing it.
    if (command.redelivered) await deps.transactions.republish(transactionId);
    return 'already_recorded';
  }

  const cvc = command.sealedCvc ?? sealedCard.cvc;
  let outcome: AuthorizationOutcome;
  try {
    outcome = await confirmOrderThenAsk(deps, transactionId, txn, { ...sealedCard, ...(cvc === undefined ? {} : { cvc }) });
  } catch (error) {
    // The message comes back (an acquirer outage puts it off for longer): it, not the sweep, carries the work.
    await deps.transactions.acknowledge(txn, command);
    throw error;
  }
  deps.afterProcessorAnswered?.();
  const transition = recordAuthorization(txn, outcome, deps.now());
  const captured = transition.transaction.status === 'captured';
  const commands = captured ? [settleCommand(txn.id)] : [];
  if ((await deps.transactions.apply(txn, transition, commands, command)) === 'written') {
    // Not a reason to fail the message once the answer is recorded: the settle worker marks the order if this
    // does not (its command is in the write above).
    if (captured) await markOrderPaidAfterCapture(deps, transition.transaction);
    return 'recorded';
  }
  // Someone else recorded it (a concurrent delivery) or canceled it meanwhile: either way, nothing left to do.
  const now = await deps.transactions.get(transactionId);
  if (now !== undefined && now.transaction.status === 'pending') {
    throw new Error(`Transaction ${transactionId} changed while authorizing; retrying`);
  }
  return 'already_recorded';
}

/**
 * A payment for an order goes to the processor only once it has confirmed its claim on the order; one whose
 * claim another payment took over fails with the reason, without a charge (see core/order.ts).
 */
async function confirmOrderThenAsk(
  deps: AuthorizePaymentDeps,
  reference: string,
  txn: Transaction,
  sealed: SealedCard,
): Promise<AuthorizationOutcome> {
  if (txn.orderId !== undefined) {
    const claim = await confirmOrderClaim(deps, txn.orderId, reference);
    if (claim.outcome === 'lost') return { outcome: 'failed', failureCode: claim.failureCode };
  }
  return askProcessor(deps, reference, txn, sealed);
}

async function askProcessor(
  deps: AuthorizePaymentDeps,
  reference: string,
  txn: { merchantId: string; amount: number; currency: string; card: { expMonth: number; expYear: number } },
  sealed: { number: string; recordId?: string; cvc?: string },
): Promise<AuthorizationOutcome> {
  let number: string;
  let cvc: string | undefined;
  try {
    // A saved card's number stays sealed for its payment method; a typed-in card's, for this transaction.
    const numberRecordId = sealed.recordId ?? reference;
    number = await deps.vault.open(sealed.number, { merchantId: txn.merchantId, recordId: numberRecordId, field: 'number' });
    cvc =
      sealed.cvc === undefined
        ? undefined
        : await deps.vault.open(sealed.cvc, { merchantId: txn.merchantId, recordId: reference, field: 'cvc' });
  } catch (error) {
    if (error instanceof SealedCardUnreadableError) return { outcome: 'failed', failureCode: 'card_data_unreadable' };
    throw error;
  }
  try {
    return await deps.processor.authorize({
      reference,
      amount: txn.amount,
      currency: txn.currency,
      card: { number, expMonth: txn.card.expMonth, expYear: txn.card.expYear, ...(cvc === undefined ? {} : { cvc }) },
    });
  } catch (error) {
    if (error instanceof ProcessorUnavailableError) return { outcome: 'failed', failureCode: error.reason };
    throw error;
  }
}
