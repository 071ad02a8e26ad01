import { InvalidRequestError, NotFoundError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import { checkCard, requireNotExpired } from '../core/card.ts';
import { cardInputOf } from '../core/card-input.ts';
import { defaultPaymentMethodOf, isAttached, type Customer } from '../core/customer.ts';
import { requireAmount, requireCurrency } from '../core/money.ts';
import { requirePaymentMatchesOrder } from '../core/order.ts';
import { createPendingTransaction, type Transaction, type TransactionCard } from '../core/transaction.ts';
import type { CreatePaymentBody } from '../contract/payments.ts';
import { requireCustomer } from '../customers/customers.ts';
import type { Customers } from '../customers/ports.ts';
import type { Orders } from '../orders/ports.ts';
import { claimOrderForPayment, requireOrder } from '../orders/orders.ts';
import { authorizeCommand, type CardFingerprinter, type CardVault, type SealedCard, type Transactions } from './ports.ts';

export interface CreatePaymentDeps {
  readonly transactions: Transactions;
  readonly vault: CardVault;
  readonly fingerprints: CardFingerprinter;
  readonly customers: Pick<Customers, 'getOwned' | 'getOwnedPaymentMethod'>;
  readonly orders: Orders;
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

/** The card a payment charges: its public data, whose customer it is, and how to get its sealed number. */
interface CardSource {
  readonly card: TransactionCard;
  readonly customerId: string | undefined;
  readonly seal: (transactionId: string) => Promise<SealedCard>;
}

/** Fields that describe a card typed in, refused when the payment charges a saved card. */
const TYPED_CARD_FIELDS = ['expiration_date', 'exp_month', 'exp_year', 'cvc'] as const;

/**
 * Checks the request and the card, claims the order if one is named, and records a pending transaction
 * together with its `payment.pending` event and the command that queues its authorization. The card is a
 * card typed in (sealed here for the transaction), a saved card (its sealed number is reused), or the
 * customer's default saved card. Nothing is stored when a check fails.
 */
export async function createPayment(deps: CreatePaymentDeps, input: CreatePaymentInput): Promise<Transaction> {
  const { body, merchantId } = input;
  const now = deps.now();
  const order = body.order_id === undefined ? undefined : await requireOrder(deps, merchantId, body.order_id);
  const currency = requireCurrency(body.currency ?? order?.currency ?? (await deps.defaultCurrency(merchantId)));
  const amount = requireAmount(body.amount, currency);
  const source = await resolveCardSource(deps, merchantId, body, now);
  if (order !== undefined) {
    requirePaymentMatchesOrder(order, { amount, currency: currency.code, customerId: source.customerId });
  }
  // A payment for a customer's order is that customer's payment, even when the request names no customer.
  const customerId = source.customerId ?? order?.customerId;

  const id = input.newId('transaction');
  const sealedCard = await source.seal(id);
  if (order !== undefined) {
    // The claim comes before the transaction exists. If creating it fails (a 5xx), the Idempotency-Key is
    // freed and a retry gets a new transaction id: that retry is refused 409 `order_payment_in_progress`
    // until the orphaned claim lapses, UNCREATED_CLAIM_GRACE_MS (60 s) after it was made (core/order.ts).
    await claimOrderForPayment({ orders: deps.orders, payments: deps.transactions, now: deps.now }, merchantId, order.id, {
      transactionId: id,
      amount,
      currency: currency.code,
      customerId,
    });
  }
  const transition = createPendingTransaction(
    {
      id,
      merchantId,
      amount,
      currency: currency.code,
      captureMethod: body.capture ? 'automatic' : 'manual',
      ...(customerId === undefined ? {} : { customerId }),
      ...(order === undefined ? {} : { orderId: order.id }),
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      card: source.card,
    },
    now,
  );
  const outcome = await deps.transactions.create(transition, sealedCard, [authorizeCommand(id)]);
  if (outcome === 'written') return transition.transaction;
  // A retry of a request that died after its write: the id is the same, so is the transaction.
  const existing = await deps.transactions.getOwned(merchantId, id);
  if (existing === undefined) throw new Error(`Transaction ${id} exists but could not be read back`);
  return existing;
}

async function resolveCardSource(
  deps: CreatePaymentDeps,
  merchantId: string,
  body: CreatePaymentBody,
  now: Date,
): Promise<CardSource> {
  if (body.card_number !== undefined) {
    if (body.payment_method_id !== undefined) {
      throw new InvalidRequestError('parameter_invalid', 'Pay with either `card_number` or `payment_method_id`, not both.', {
        param: 'payment_method_id',
      });
    }
    return typedCardSource(deps, merchantId, { ...body, card_number: body.card_number }, now);
  }
  const typedField = TYPED_CARD_FIELDS.find((field) => body[field] !== undefined);
  if (typedField !== undefined) {
    throw new InvalidRequestError('parameter_invalid', `\`${typedField}\` goes only with \`card_number\`; a saved card has no CVC to give.`, {
      param: typedField,
    });
  }
  if (body.payment_method_id === undefined && body.customer_id === undefined) {
    throw new InvalidRequestError(
      'parameter_missing',
      'Name the card: `card_number` with its expiry, a saved card\'s `payment_method_id`, or a `customer_id` to charge its default card.',
      { param: 'card_number' },
    );
  }
  return savedCardSource(deps, merchantId, body, now);
}

async function typedCardSource(
  deps: CreatePaymentDeps,
  merchantId: string,
  body: CreatePaymentBody & { readonly card_number: string },
  now: Date,
): Promise<CardSource> {
  const { card: cardInput, params } = cardInputOf(body);
  const card = checkCard(cardInput, now, params);
  if (body.customer_id !== undefined) await requireCustomer(deps, merchantId, body.customer_id);
  const fingerprint = await deps.fingerprints.fingerprint(merchantId, card.number);
  return {
    card: { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, fingerprint },
    customerId: body.customer_id,
    seal: async (transactionId) => {
      const [number, cvc] = await Promise.all([
        deps.vault.seal(card.number, { merchantId, recordId: transactionId, field: 'number' }),
        card.cvc === undefined ? undefined : deps.vault.seal(card.cvc, { merchantId, recordId: transactionId, field: 'cvc' }),
      ]);
      return { number, ...(cvc === undefined ? {} : { cvc }) };
    },
  };
}

/** A saved card named by id, or the customer's default. It must still be attached, and not expired. */
async function savedCardSource(deps: CreatePaymentDeps, merchantId: string, body: CreatePaymentBody, now: Date): Promise<CardSource> {
  const named = body.customer_id === undefined ? undefined : await requireCustomer(deps, merchantId, body.customer_id);
  const param = body.payment_method_id === undefined ? 'customer_id' : 'payment_method_id';
  const paymentMethodId = body.payment_method_id ?? defaultPaymentMethodOf(requireDefined(named));
  const stored = await deps.customers.getOwnedPaymentMethod(merchantId, paymentMethodId);
  if (stored === undefined) throw new NotFoundError('payment method', paymentMethodId, 'payment_method_id');
  const { paymentMethod, sealedNumber } = stored;
  if (named !== undefined && paymentMethod.customerId !== named.id) {
    throw new InvalidRequestError('payment_method_customer_mismatch', 'This saved card belongs to another customer.', {
      param: 'payment_method_id',
    });
  }
  const owner = named ?? (await deps.customers.getOwned(merchantId, paymentMethod.customerId));
  if (owner === undefined || !isAttached(owner, paymentMethod.id) || sealedNumber === undefined) {
    throw new InvalidRequestError('payment_method_detached', 'This saved card was detached from its customer; it cannot be charged.', {
      param,
    });
  }
  requireNotExpired(paymentMethod.card, now, param);
  return {
    card: paymentMethod.card,
    customerId: paymentMethod.customerId,
    seal: async () => ({ number: sealedNumber, recordId: paymentMethod.id }),
  };
}

function requireDefined(customer: Customer | undefined): Customer {
  if (customer === undefined) throw new Error('A payment without payment_method_id names a customer');
  return customer;
}
