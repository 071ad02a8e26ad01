/**
 * Schemas of the hosted-page routes: the merchant's session routes (POST /checkout_sessions, ...) and the
 * routes the pages call with a session token. The handlers validate with these and openapi.yaml is made
 * from them. No response carries a card number or CVC: only brand, last4 and expiry.
 */
import * as z from 'zod';
import { currencyCode, timestamp } from './common.ts';

const amountSchema = z.number().int();
/** The ISO 4217 exponent, so a page formats minor units without a currency table of its own. */
const exponent = z.number().int().min(0).max(4).meta({ description: 'Digits of the minor unit (ISO 4217): USD 2, JPY 0, KWD 3.' });

/** Where the checkout sends the customer back: an absolute http(s) URL, never `javascript:` or `data:`. */
const returnUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .meta({ description: 'Where the page sends the customer when the payment is done: an absolute `https` (or `http`) URL.' });

export const createCheckoutSessionBody = z
  .strictObject({
    order_id: z.string().max(64).optional().meta({ description: 'The order to pay, `ord_...`; its amount and currency are charged.' }),
    amount: amountSchema.optional().meta({ description: "Without `order_id`: the amount, in the currency's minor units." }),
    currency: z.string().optional().meta({ description: "Without `order_id`: ISO 4217 code; defaults to the merchant's default_currency." }),
    customer_id: z.string().max(64).optional().meta({ description: 'Records the payment as this customer\'s, `cus_...`.' }),
    description: z.string().max(1000).optional().meta({ description: 'Shown on the page, and kept on the transaction.' }),
    return_url: returnUrl.optional(),
  })
  .meta({ id: 'CreateCheckoutSessionRequest' });
export type CreateCheckoutSessionBody = z.infer<typeof createCheckoutSessionBody>;

export const createPortalSessionBody = z
  .strictObject({ customer_id: z.string().max(64).meta({ description: 'The customer whose wallet the page shows, `cus_...`.' }) })
  .meta({ id: 'CreatePortalSessionRequest' });

export const createConsoleSessionBody = z.strictObject({}).meta({ id: 'CreateConsoleSessionRequest' });

export const sessionResponse = z
  .strictObject({
    id: z.string().meta({ description: 'The session, `chk_...`, `ptl_...` or `csl_...`: end it with DELETE.' }),
    url: z.string().meta({
      description:
        'The page to send the browser to. Its fragment holds the session token (`#token=...`), which is in this answer only ' +
        'and never reaches a server log.',
    }),
    expires_at: timestamp,
  })
  .meta({ id: 'Session' });
export type SessionResponse = z.infer<typeof sessionResponse>;

export const endedSessionResponse = z
  .strictObject({ id: z.string(), ended: z.literal(true), ended_at: timestamp })
  .meta({ id: 'EndedSession' });

/** A card as typed into a page: the number once, in the body, never returned. */
const typedCard = {
  card_number: z.string().max(40).meta({ description: 'The card number; spaces and dashes are ignored. Never returned.' }),
  exp_month: z.number().int().min(1).max(12),
  exp_year: z.number().int().min(2000).max(2100),
  cvc: z.string().max(8).optional(),
};

export const payCheckoutBody = z.strictObject({ ...typedCard }).meta({ id: 'PayCheckoutRequest' });
export type PayCheckoutBody = z.infer<typeof payCheckoutBody>;

export const addWalletCardBody = z.strictObject({ ...typedCard }).meta({ id: 'AddWalletCardRequest' });

export const setWalletDefaultBody = z
  .strictObject({ payment_method_id: z.string().max(64).meta({ description: "One of the customer's cards, `pm_...`." }) })
  .meta({ id: 'SetWalletDefaultRequest' });

export const walletTransactionsQuery = z
  .strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) })
  .meta({ id: 'WalletTransactionsQuery' });

export const consoleTransactionsQuery = z
  .strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) })
  .meta({ id: 'ConsoleTransactionsQuery' });

const cardBrand = z.string().meta({ description: 'The card brand: `visa`, `mastercard`, `amex`, ...' });

/** A transaction as the pages show it: enough to follow its status, nothing to charge the card again. */
export const pageTransactionSchema = z
  .strictObject({
    transaction_id: z.string(),
    status: z.string(),
    amount: z.number().int(),
    currency: currencyCode,
    currency_exponent: exponent,
    amount_refunded: z.number().int(),
    customer_id: z.string().nullable(),
    order_id: z.string().nullable(),
    description: z.string().nullable(),
    card: z.strictObject({ brand: cardBrand, last4: z.string(), exp_month: z.number().int(), exp_year: z.number().int() }),
    decline_code: z.string().nullable(),
    failure_code: z.string().nullable(),
    created: timestamp,
    updated: timestamp,
  })
  .meta({ id: 'PageTransaction' });
export type PageTransaction = z.infer<typeof pageTransactionSchema>;

export const checkoutViewSchema = z
  .strictObject({
    session_id: z.string(),
    merchant_name: z.string(),
    amount: z.number().int(),
    currency: currencyCode,
    currency_exponent: exponent,
    description: z.string().nullable(),
    order_id: z.string().nullable(),
    return_url: z.string().nullable(),
    expires_at: timestamp,
    payment: pageTransactionSchema.nullable().meta({ description: 'The latest payment attempt, or null before the first.' }),
  })
  .meta({ id: 'CheckoutView' });
export type CheckoutView = z.infer<typeof checkoutViewSchema>;

export const walletCardSchema = z
  .strictObject({
    payment_method_id: z.string(),
    is_default: z.boolean(),
    brand: cardBrand,
    last4: z.string(),
    exp_month: z.number().int(),
    exp_year: z.number().int(),
  })
  .meta({ id: 'WalletCard' });
export type WalletCard = z.infer<typeof walletCardSchema>;

export const walletViewSchema = z
  .strictObject({
    customer_id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    expires_at: timestamp,
    cards: z.array(walletCardSchema),
  })
  .meta({ id: 'WalletView' });
export type WalletView = z.infer<typeof walletViewSchema>;

const timelineAttemptSchema = z.strictObject({
  attempt: z.number().int(),
  at: z.string(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const timelineEventSchema = z
  .strictObject({
    event_id: z.string(),
    type: z.string(),
    created: timestamp,
    status: z.string().nullable().meta({ description: 'The transaction status right after this event.' }),
    deliveries: z.array(
      z.strictObject({ endpoint_id: z.string(), status: z.string(), attempts: z.array(timelineAttemptSchema) }),
    ),
  })
  .meta({ id: 'TimelineEvent' });
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const consoleTransactionSchema = z
  .strictObject({
    transaction: pageTransactionSchema,
    timeline: z.array(timelineEventSchema),
    timeline_complete: z.boolean().meta({
      description:
        "False when the timeline was cut short (a very busy merchant): it is read oldest first, so the transaction's latest events are missing.",
    }),
  })
  .meta({ id: 'ConsoleTransaction' });
