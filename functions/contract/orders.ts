/** Request schemas of the order routes: they validate requests and are the source of openapi.yaml. */
import * as z from 'zod';
import { metadataSchema } from './payments.ts';

export const createOrderBody = z
  .strictObject({
    amount: z
      .number()
      .int()
      .meta({ description: "What the order costs, in the currency's minor unit; its payment must be for exactly this." }),
    currency: z
      .string()
      .optional()
      .meta({ description: "ISO 4217 code, upper case; defaults to the merchant's default_currency." }),
    customer_id: z.string().max(64).optional().meta({ description: "The merchant's customer, `cus_...`, who pays it." }),
    description: z.string().max(1000).optional(),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'CreateOrderRequest' });

export type CreateOrderBody = z.infer<typeof createOrderBody>;
