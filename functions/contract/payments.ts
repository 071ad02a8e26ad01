/**
 * Request schemas of the payment and transaction routes. They validate requests in the handlers and are
 * the source of the schemas in openapi.yaml, so the contract is written once.
 */
import { z } from 'zod';
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

export const createPaymentBody = z
  .strictObject({
    amount: amountSchema,
    currency: z
      .string()
      .optional()
      .meta({ description: "ISO 4217 code, upper case; defaults to the merchant's default_currency." }),
    card_number: z.string().max(40).meta({ description: 'The card number; spaces and dashes are ignored.' }),
    expiration_date: z
      .string()
      .optional()
      .meta({ description: 'Expiry as YYYY-MM-DD or YYYY-MM; the card is valid through the end of that month.' }),
    exp_month: z.number().int().optional(),
    exp_year: z.number().int().optional(),
    cvc: z.string().max(8).optional().meta({ description: 'Kept encrypted until authorization, then deleted.' }),
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
    amount: amountSchema.optional().meta({ description: 'At most the authorized amount; the rest is released.' }),
  })
  .meta({ id: 'CapturePaymentRequest' });

export const cancelPaymentBody = z.strictObject({}).meta({ id: 'CancelPaymentRequest' });

export const refundPaymentBody = z
  .strictObject({
    amount: amountSchema.optional().meta({ description: 'Defaults to everything captured and not yet refunded.' }),
  })
  .meta({ id: 'RefundPaymentRequest' });

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
