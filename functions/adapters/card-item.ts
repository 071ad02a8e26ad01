/** A card's public data as transactions and saved cards keep it in their items. */
import * as z from 'zod';
import { cardBrands } from '../core/card.ts';
import type { TransactionCard } from '../core/transaction.ts';
import { itemSchemaOf } from './item-schema.ts';

export const storedCard = itemSchemaOf<TransactionCard>()(
  z.object({
    brand: z.enum(cardBrands),
    last4: z.string(),
    expMonth: z.number().int(),
    expYear: z.number().int(),
    fingerprint: z.string(),
  }),
);
