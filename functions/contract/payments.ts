/**
 * Request schemas of the payment and transaction routes. They validate requests in the handlers and are
 * the source of the schemas in openapi.yaml, so the contract is written once.
 */
import * as z from 'zod';
import { transactionStatuses } from '../core/transaction.ts';
import { paginationQueryShape } from './common.ts';

const MAX_METADATA_PAIRS = 20;

export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((pairs) => Object.keys(pairs).length <= MAX_METADATA_PAIRS, {
    message: `at most ${MAX_METADATA_PAIRS} key-value pairs`,
  })
  .meta({ description: `Up to ${MAX_METADATA_PAIRS} string key-value pairs, returned as given.` });

const amountSchema = z
  .number()
  .int()
  .meta({ description: "Integer in the currency's minor unit (ISO 4217 exponent): 1050 USD is $10.50, 500 JPY is ¥500." });

/**
 * The fields of a card typed in, with the same limits wherever a card is typed in (POST /payments, POST
 * /payment_methods); each request describes them for what it does with the card.
 */
export const cardFields = {
  card_number: z.string().max(40),
  expiration_date: z.string(),
  exp_month: z.number().int(),
  exp_year: z.number().int(),
  cvc: z.string().max(8),
} as const;

export const createPaymentBody = z
  .strictObject({
    amount: amountSchema,
    currency: z
      .string()
      .optional()
      .meta({ description: "ISO 4217 code, upper case; defaults to the merchant's default_currency." }),
    card_number: cardFields.card_number
      .optional()
      .meta({ description: 'The card number; spaces and dashes are ignored. Give this, `payment_method_id`, or `customer_id`.' }),
    expiration_date: cardFields.expiration_date
      .optional()
      .meta({ description: 'With `card_number`: expiry as YYYY-MM-DD; the card is valid through the end of that month.' }),
    exp_month: cardFields.exp_month.optional().meta({ description: 'With `card_number`, instead of `expiration_date`.' }),
    exp_year: cardFields.exp_year.optional().meta({ description: 'With `card_number`, instead of `expiration_date`.' }),
    cvc: cardFields.cvc
      .optional()
      .meta({ description: 'With `card_number`: kept encrypted until authorization, then deleted.' }),
    payment_method_id: z
      .string()
      .max(64)
      .optional()
      .meta({ description: 'A saved card, `pm_...`, attached to one of your customers; charged without a CVC.' }),
    customer_id: z
      .string()
      .max(64)
      .optional()
      .meta({
        description:
          "Your customer, `cus_...`. Alone (no card, no `payment_method_id`): charges the customer's default card. " +
          'With a card or a saved card: records the payment as theirs.',
      }),
    order_id: z
      .string()
      .max(64)
      .optional()
      .meta({
        description:
          "An open order, `ord_...`: the payment must be for its amount and currency (which it defaults to). " +
          'The order becomes `paid` when this payment is captured; one payment at a time, and only one ever pays it.',
      }),
    capture: z
      .boolean()
      .default(true)
      .meta({ description: '`false` stops at `authorized`; capture later with /payments/{id}/capture.' }),
    description: z.string().max(1000).optional(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'CreatePaymentRequest' });

export type CreatePaymentBody = z.infer<typeof createPaymentBody>;

export const capturePaymentBody = z
  .strictObject({
    amount: amountSchema
      .optional()
      .meta({ description: 'At most the authorized amount; the rest is released. A payment for an order is captured whole.' }),
  })
  .meta({ id: 'CapturePaymentRequest' });

export const cancelPaymentBody = z.strictObject({}).meta({ id: 'CancelPaymentRequest' });

export const refundPaymentBody = z
  .strictObject({
    amount: amountSchema.optional().meta({ description: 'Defaults to everything captured and not yet refunded.' }),
  })
  .meta({ id: 'RefundPaymentRequest' });

export const listTransactionsQuery = z
  .strictObject({
    ...paginationQueryShape,
    customer_id: z.string().optional(),
    merchant_id: z.string().optional().meta({ description: "Must be the caller's own id." }),
    status: z.enum(transactionStatuses).optional(),
    created_gte: z.iso.datetime({ offset: true }).optional(),
    created_lt: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'ListTransactionsQuery' });

export type ListTransactionsQuery = z.infer<typeof listTransactionsQuery>;
