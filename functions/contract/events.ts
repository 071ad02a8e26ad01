import * as z from 'zod';
import { paginationQueryShape } from './common.ts';

export const listEventsQuery = z
  .strictObject({
    ...paginationQueryShape,
    type: z.string().max(100).optional().meta({ description: 'Only events of this type, e.g. `payment.captured`.' }),
  })
  .meta({ id: 'ListEventsQuery' });
