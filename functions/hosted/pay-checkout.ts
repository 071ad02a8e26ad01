/**
 * Paying a checkout session: the card typed into the hosted page goes through the very use case behind
 * POST /payments (payments/create-payment.ts), with the amount, currency, order and customer the session
 * fixed when the merchant opened it. The browser chooses only the card.
 *
 * A checkout pays once. Its latest payment is recorded on the session with a conditional write before the
 * payment is created, so two submissions racing on one session cannot both charge; a new attempt is allowed
 * only when the latest one can no longer succeed (declined, failed, canceled, or never created). A claimed
 * payment that does not exist yet is being created by another request (sealing the card, writing it): it
 * counts as under way until UNCREATED_CLAIM_GRACE_MS after its claim, as an order's claim does.
 * A checkout allows MAX_CHECKOUT_ATTEMPTS attempts, so that a leaked link cannot test card after card.
 */
import { checkCard } from '../core/card.ts';
import { cardInputOf } from '../core/card-input.ts';
import { StateConflictError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import { UNCREATED_CLAIM_GRACE_MS } from '../core/order.ts';
import type { Transaction, TransactionStatus } from '../core/transaction.ts';
import type { CreatePaymentBody } from '../contract/payments.ts';
import type { PayCheckoutBody } from '../contract/sessions.ts';
import { createPayment, type CreatePaymentDeps } from '../payments/create-payment.ts';
import type { Sessions } from './ports.ts';
import { MAX_CHECKOUT_ATTEMPTS, type Session } from './session.ts';

/** Statuses after which the customer may try again with another card. */
const RETRYABLE: ReadonlySet<TransactionStatus> = new Set(['declined', 'failed', 'canceled']);

export interface PayCheckoutDeps extends CreatePaymentDeps {
  readonly sessions: Pick<Sessions, 'claimPayment'>;
}

export async function payCheckout(
  deps: PayCheckoutDeps,
  session: Session,
  card: PayCheckoutBody,
  newId: (kind: IdKind) => string,
): Promise<Transaction> {
  const terms = session.checkout;
  if (terms === undefined) throw new Error(`Session ${session.id} is not a checkout session`);
  // Bad card data is answered before anything is claimed or stored.
  const { card: cardInput, params } = cardInputOf(card);
  checkCard(cardInput, deps.now(), params);
  await requireNoLivePayment(deps, session);
  requireAttemptsLeft(session);

  const transactionId = newId('transaction');
  await deps.sessions.claimPayment(session, session.transactionId, transactionId);
  const body: CreatePaymentBody = {
    amount: terms.amount,
    currency: terms.currency,
    card_number: card.card_number,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    ...(card.cvc === undefined ? {} : { cvc: card.cvc }),
    ...(terms.orderId === undefined ? {} : { order_id: terms.orderId }),
    ...(terms.customerId === undefined ? {} : { customer_id: terms.customerId }),
    ...(terms.description === undefined ? {} : { description: terms.description }),
    capture: true,
    metadata: { checkout_session: session.id },
  };
  return createPayment(deps, {
    merchantId: session.merchantId,
    body,
    newId: (kind) => (kind === 'transaction' ? transactionId : newId(kind)),
  });
}

async function requireNoLivePayment(deps: Pick<CreatePaymentDeps, 'transactions' | 'now'>, session: Session): Promise<void> {
  if (session.transactionId === undefined) return;
  const latest = await deps.transactions.getOwned(session.merchantId, session.transactionId);
  if (latest === undefined) {
    if (claimIsFresh(session, deps.now())) {
      throw new StateConflictError('checkout_payment_in_progress', 'A payment for this checkout is being made; follow it instead.');
    }
    return;
  }
  if (!RETRYABLE.has(latest.status)) {
    throw new StateConflictError(
      'checkout_already_paid',
      `This checkout has a payment that is ${latest.status}; it cannot be paid again.`,
    );
  }
}

/** A claim whose transaction is still missing is another request's, at work, until the grace has passed. */
function claimIsFresh(session: Session, now: Date): boolean {
  // A claim recorded without its time (before claims were timed) is treated as lapsed, as it was then.
  if (session.claimedAt === undefined) return false;
  return now.getTime() - Date.parse(session.claimedAt) < UNCREATED_CLAIM_GRACE_MS;
}

function requireAttemptsLeft(session: Session): void {
  if (session.attempts >= MAX_CHECKOUT_ATTEMPTS) {
    throw new StateConflictError(
      'checkout_attempts_exhausted',
      'This checkout has had too many payment attempts. Ask the merchant for a new payment link.',
    );
  }
}
