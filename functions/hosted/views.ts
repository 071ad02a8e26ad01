/**
 * What the hosted pages are shown of the domain: a transaction without its fingerprint or metadata, a saved
 * card without its fingerprint, never a card number. The pages' API answers are built only from these.
 */
import type { Customer, PaymentMethod } from '../core/customer.ts';
import { requireCurrency } from '../core/money.ts';
import type { Transaction } from '../core/transaction.ts';
import type { PageTransaction, WalletCard } from '../contract/sessions.ts';

export function toPageTransaction(txn: Transaction): PageTransaction {
  return {
    transaction_id: txn.id,
    status: txn.status,
    amount: txn.amount,
    currency: txn.currency,
    currency_exponent: requireCurrency(txn.currency).exponent,
    amount_refunded: txn.amountRefunded,
    customer_id: txn.customerId ?? null,
    order_id: txn.orderId ?? null,
    description: txn.description ?? null,
    card: { brand: txn.card.brand, last4: txn.card.last4, exp_month: txn.card.expMonth, exp_year: txn.card.expYear },
    decline_code: txn.declineCode ?? null,
    failure_code: txn.failureCode ?? null,
    created: txn.createdAt,
    updated: txn.updatedAt,
  };
}

/** The one decline reason the checkout page is told. */
export const GENERIC_DECLINE_CODE = 'generic_decline';

/**
 * A transaction as the checkout page shows it: a decline says only that the card was declined. The page is
 * reachable by whoever holds the link, and the issuer's reason (stolen_card, incorrect_cvc, ...) would tell
 * a card tester which stolen cards are worth trying elsewhere. The merchant still sees it, in its own API.
 */
export function toCheckoutTransaction(txn: Transaction): PageTransaction {
  const page = toPageTransaction(txn);
  return page.decline_code === null ? page : { ...page, decline_code: GENERIC_DECLINE_CODE };
}

export function toWalletCard(paymentMethod: PaymentMethod, customer: Customer): WalletCard {
  return {
    payment_method_id: paymentMethod.id,
    is_default: customer.defaultPaymentMethodId === paymentMethod.id,
    brand: paymentMethod.card.brand,
    last4: paymentMethod.card.last4,
    exp_month: paymentMethod.card.expMonth,
    exp_year: paymentMethod.card.expYear,
  };
}
