import { InvalidRequestError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import { checkCard, parseExpiry, type Expiry } from '../core/card.ts';
import { requireAmount, requireCurrency } from '../core/money.ts';
import { createPendingTransaction, type Transaction } from '../core/transaction.ts';
import type { CreatePaymentBody } from '../contract/payments.ts';
import { authorizeCommand, type CardFingerprinter, type CardVault, type Transactions } from './ports.ts';

export interface CreatePaymentDeps {
  readonly transactions: Transactions;
  readonly vault: CardVault;
  readonly fingerprints: CardFingerprinter;
  /** The merchant's default currency, used when the request names none. */
  readonly defaultCurrency: (merchantId: string) => Promise<string>;
  readonly now: () => Date;
}

export interface CreatePaymentInput {
  readonly merchantId: string;
  readonly body: CreatePaymentBody;
  /** Ids for what this request creates; stable across retries of one Idempotency-Key. */
  readonly newId: (kind: IdKind) => string;
}

/**
 * Checks the request and the card, seals the card, and records a pending transaction together with its
 * `payment.pending` event and the command that queues its authorization. Nothing is stored when a check fails.
 */
export async function createPayment(deps: CreatePaymentDeps, input: CreatePaymentInput): Promise<Transaction> {
  const { body, merchantId } = input;
  const now = deps.now();
  const currency = requireCurrency(body.currency ?? (await deps.defaultCurrency(merchantId)));
  const amount = requireAmount(body.amount, currency);
  const expiryParam = body.expiration_date === undefined ? 'exp_month' : 'expiration_date';
  const card = checkCard(
    { number: body.card_number, ...expiryOf(body), ...(body.cvc === undefined ? {} : { cvc: body.cvc }) },
    now,
    { number: 'card_number', expiry: expiryParam, cvc: 'cvc' },
  );

  const id = input.newId('transaction');
  const [fingerprint, sealedNumber, sealedCvc] = await Promise.all([
    deps.fingerprints.fingerprint(merchantId, card.number),
    deps.vault.seal(card.number, { merchantId, recordId: id, field: 'number' }),
    card.cvc === undefined ? undefined : deps.vault.seal(card.cvc, { merchantId, recordId: id, field: 'cvc' }),
  ]);
  const transition = createPendingTransaction(
    {
      id,
      merchantId,
      amount,
      currency: currency.code,
      captureMethod: body.capture ? 'automatic' : 'manual',
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      card: { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, fingerprint },
    },
    now,
  );
  const outcome = await deps.transactions.create(
    transition,
    { number: sealedNumber, ...(sealedCvc === undefined ? {} : { cvc: sealedCvc }) },
    [authorizeCommand(id)],
  );
  if (outcome === 'written') return transition.transaction;
  // A retry of a request that died after its write: the id is the same, so is the transaction.
  const existing = await deps.transactions.getOwned(merchantId, id);
  if (existing === undefined) throw new Error(`Transaction ${id} exists but could not be read back`);
  return existing;
}

function expiryOf(body: CreatePaymentBody): Expiry {
  if (body.expiration_date !== undefined) return parseExpiry(body.expiration_date, 'expiration_date');
  if (body.exp_month !== undefined && body.exp_year !== undefined) {
    return parseExpiry({ month: body.exp_month, year: body.exp_year }, 'exp_month');
  }
  throw new InvalidRequestError('parameter_missing', 'The card needs an expiry: `expiration_date` (YYYY-MM-DD) or `exp_month` and `exp_year`.', {
    param: 'expiration_date',
  });
}
