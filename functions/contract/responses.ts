/**
 * Schemas of the response bodies: the source of the response schemas in openapi.yaml. The handlers build
 * their bodies from the domain's own types (`PublicTransaction`, `PublicRefund`, `GatewayEvent`), so each
 * schema here is pinned to its type at compile time: a field added, removed or retyped on one side and not
 * the other fails `tsc`. Objects are strict: what the documentation does not name, a response may not carry.
 */
import * as z from 'zod';
import { cardBrands } from '../core/card.ts';
import type { GatewayEvent } from '../core/event.ts';
import type { PublicCustomer, PublicPaymentMethod } from '../core/customer.ts';
import type { PublicOrder } from '../core/order.ts';
import { transactionStatuses, type PublicRefund, type PublicTransaction } from '../core/transaction.ts';
import { currencyCode, healthResponse, timestamp } from './common.ts';
import { apiKeyResponse, merchantResponse, revokedApiKeyResponse } from './merchants.ts';
import { metadataSchema } from './payments.ts';
import { deliverySchema } from './webhooks.ts';

// These four were written beside their requests, and the handlers type their bodies with them already.
export { apiKeyResponse, healthResponse, merchantResponse, revokedApiKeyResponse };

const currency = currencyCode.meta({ description: 'ISO 4217 code, upper case.', examples: ['USD'] });

const minorUnits = z.number().int().min(0).meta({ description: "Integer in the currency's minor unit." });

export const refundSchema = z
  .strictObject({
    refund_id: z.string().meta({ examples: ['re_01JD2Z8Q7F3X4Y5Z6A7B8C9D0G'] }),
    transaction_id: z.string(),
    amount: minorUnits,
    currency,
    created: timestamp,
  })
  .meta({ id: 'Refund', description: 'Money given back on a captured or settled transaction.' });

export const transactionSchema = z
  .strictObject({
    transaction_id: z.string().meta({ examples: ['txn_01JD2Z8Q7F3X4Y5Z6A7B8C9D0H'] }),
    merchant_id: z.string(),
    status: z.enum(transactionStatuses).meta({
      description:
        '`pending` → `authorized` → `captured` → `settled`; `pending` → `declined` or `failed`; ' +
        '`pending` or `authorized` → `canceled`; fully refunded → `refunded`.',
    }),
    amount: minorUnits.meta({ description: "The authorized amount, in the currency's minor unit." }),
    currency,
    amount_captured: minorUnits,
    amount_refunded: minorUnits,
    capture: z.enum(['automatic', 'manual']).meta({
      description: '`automatic` captures on approval; `manual` stops at `authorized` until a capture call.',
    }),
    customer_id: z.string().nullable(),
    order_id: z.string().nullable(),
    description: z.string().nullable(),
    metadata: metadataSchema,
    card: z
      .strictObject({
        brand: z.enum(cardBrands),
        last4: z.string().meta({ examples: ['4242'] }),
        exp_month: z.number().int().min(1).max(12),
        exp_year: z.number().int(),
        fingerprint: z.string().meta({ description: 'The same card gives the same fingerprint; never the number.' }),
      })
      .meta({ description: 'The card, without its number or CVC.' }),
    decline_code: z.string().nullable().meta({ description: "The issuer's reason when `declined`, e.g. `insufficient_funds`." }),
    failure_code: z.string().nullable().meta({ description: 'Why the processor could not answer, when `failed`.' }),
    refunds: z.array(refundSchema).readonly(),
    created: timestamp,
    updated: timestamp,
    date: timestamp.meta({ description: 'The same as `created`.' }),
  })
  .meta({ id: 'Transaction', description: 'A card payment as the merchant sees it. No card number, no CVC.' });

export const createdRefundSchema = refundSchema
  .extend({ transaction: transactionSchema.meta({ description: 'The transaction after the refund.' }) })
  .meta({ id: 'RefundCreated', description: 'The new refund, with the transaction it was taken from.' });

export const eventSchema = z
  .strictObject({
    id: z.string().meta({ examples: ['evt_01JD2Z8Q7F3X4Y5Z6A7B8C9D0J'] }),
    type: z.string().meta({ examples: ['payment.captured'] }),
    created: timestamp,
    data: z.record(z.string(), z.unknown()).meta({
      description: 'The resource right after the change: for `payment.*` events, a Transaction.',
    }),
    deliveries: z.array(deliverySchema).readonly().meta({
      description: 'One per webhook endpoint the event was sent to, with every attempt.',
    }),
  })
  .meta({ id: 'Event', description: "Something that happened to one of the merchant's resources." });

export const customerSchema = z
  .strictObject({
    customer_id: z.string().meta({ examples: ['cus_01JD2Z8Q7F3X4Y5Z6A7B8C9D0K'] }),
    email: z.string().nullable(),
    name: z.string().nullable(),
    description: z.string().nullable(),
    metadata: metadataSchema,
    default_payment_method_id: z.string().nullable().meta({
      description:
        'The card charged when a payment names only the customer. The first saved card becomes it; detaching it ' +
        'makes the most recently attached remaining card the default, or none.',
    }),
    created: timestamp,
    updated: timestamp,
  })
  .meta({ id: 'Customer', description: "One of the merchant's customers." });

export const paymentMethodSchema = z
  .strictObject({
    payment_method_id: z.string().meta({ examples: ['pm_01JD2Z8Q7F3X4Y5Z6A7B8C9D0M'] }),
    customer_id: z.string(),
    type: z.literal('card'),
    status: z.enum(['attached', 'detached']).meta({ description: 'A detached card can no longer be charged.' }),
    is_default: z.boolean().meta({ description: "Whether this is the customer's default card." }),
    brand: z.enum(cardBrands),
    last4: z.string().meta({ examples: ['4242'] }),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int(),
    fingerprint: z.string().meta({ description: 'The same card number gives the same fingerprint (per merchant); never the number.' }),
    created: timestamp,
  })
  .meta({ id: 'PaymentMethod', description: 'A saved card: never its number, and no CVC is kept.' });

export const orderSchema = z
  .strictObject({
    order_id: z.string().meta({ examples: ['ord_01JD2Z8Q7F3X4Y5Z6A7B8C9D0N'] }),
    amount: minorUnits,
    currency,
    customer_id: z.string().nullable(),
    description: z.string().nullable(),
    metadata: metadataSchema,
    status: z.enum(['open', 'paid']).meta({ description: '`paid` once a payment for it is captured; then it takes no other.' }),
    transaction_id: z
      .string()
      .nullable()
      .meta({ description: 'The payment that paid the order, or the latest one to try.' }),
    paid_at: timestamp.nullable(),
    created: timestamp,
    updated: timestamp,
  })
  .meta({ id: 'Order', description: 'An amount to be paid once, by a payment that names it.' });

/** True when A and B are assignable both ways: the same fields, optional or not, of the same types. */
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when every check is `true`. */
type AllTrue<_Checks extends readonly true[]> = never;

/** The body of a refund's response: the refund as the domain renders it, and the transaction it belongs to. */
type CreatedRefund = PublicRefund & { readonly transaction: PublicTransaction };
/** What `toPublicEvent` renders of a `GatewayEvent`: everything except the owner, who is the caller, plus its deliveries. */
type PublicEvent = Omit<GatewayEvent, 'merchantId'> & { readonly deliveries: readonly z.input<typeof deliverySchema>[] };

type _SchemasMatchTheDomainTypes = AllTrue<
  [
    Equals<z.input<typeof transactionSchema>, PublicTransaction>,
    Equals<z.output<typeof transactionSchema>, PublicTransaction>,
    Equals<z.input<typeof refundSchema>, PublicRefund>,
    Equals<z.input<typeof createdRefundSchema>, CreatedRefund>,
    Equals<z.input<typeof eventSchema>, PublicEvent>,
    Equals<z.input<typeof customerSchema>, PublicCustomer>,
    Equals<z.input<typeof paymentMethodSchema>, PublicPaymentMethod>,
    Equals<z.input<typeof orderSchema>, PublicOrder>,
  ]
>;

export type RefundCreatedResponse = z.output<typeof createdRefundSchema>;
export type EventResponse = z.output<typeof eventSchema>;
