/**
 * Request schemas of the customer and saved-card routes. They validate requests in the handlers and are the
 * source of the schemas in openapi.yaml, so the contract is written once.
 */
import * as z from 'zod';
import { paginationQueryShape } from './common.ts';
import { cardFields, metadataSchema } from './payments.ts';

export const createCustomerBody = z
  .strictObject({
    email: z.email().max(254).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(1000).optional(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'CreateCustomerRequest' });

export type CreateCustomerBody = z.infer<typeof createCustomerBody>;

export const savePaymentMethodBody = z
  .strictObject({
    customer_id: z.string().max(64).meta({ description: 'The customer, `cus_...`, the card is saved for.' }),
    card_number: cardFields.card_number.meta({ description: 'The card number; spaces and dashes are ignored. Never returned.' }),
    expiration_date: cardFields.expiration_date
      .optional()
      .meta({ description: 'Expiry as YYYY-MM-DD; the card is valid through the end of that month.' }),
    exp_month: cardFields.exp_month.optional(),
    exp_year: cardFields.exp_year.optional(),
    cvc: cardFields.cvc.optional().meta({ description: "Checked for its length, then discarded: a saved card keeps no CVC." }),
  })
  .meta({ id: 'SavePaymentMethodRequest' });

export type SavePaymentMethodBody = z.infer<typeof savePaymentMethodBody>;

export const setDefaultPaymentMethodBody = z
  .strictObject({
    customer_id: z.string().max(64),
    payment_method_id: z.string().max(64).meta({ description: "One of the customer's attached cards, `pm_...`." }),
  })
  .meta({ id: 'SetDefaultPaymentMethodRequest' });

export type SetDefaultPaymentMethodBody = z.infer<typeof setDefaultPaymentMethodBody>;

export const listPaymentMethodsQuery = z
  .strictObject({ ...paginationQueryShape })
  .meta({ id: 'ListPaymentMethodsQuery' });
