/**
 * Schemas every resource shares: the problem details of every error, and the query of paginated lists.
 * They validate requests in the handlers and are the source of openapi.yaml.
 */
import * as z from 'zod';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Spread into a list route's `z.strictObject({...})` query schema. */
export const paginationQueryShape = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .meta({ description: `How many items to return, 1 to ${MAX_PAGE_LIMIT}.` }),
  starting_after: z
    .string()
    .max(1024)
    .optional()
    .meta({ description: 'Opaque cursor: copy it from the `Link: <...>; rel="next"` header of the previous page.' }),
};

export const currencyCode = z
  .string()
  .meta({ description: 'ISO 4217 code, upper case; an unknown or unsupported code is a 400 `invalid_currency`.', examples: ['USD'] });

export const timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC.' });

export const problemSchema = z
  .object({
    type: z.url().meta({ description: 'Stable URL naming the problem: `https://docs.payment-gateway.dev/errors/<code>`.' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong, for a human; never card data.' }),
    code: z.string().meta({ description: 'Stable, machine-readable: `parameter_missing`, `invalid_number`, ...' }),
    param: z.string().optional().meta({ description: 'The request field at fault, as a dotted path.' }),
    decline_code: z.string().optional().meta({ description: "A declined card's reason, e.g. `insufficient_funds`." }),
    request_id: z.string().meta({ description: 'Also sent as the `Request-Id` header; quote it to support.' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`).' });

export type ProblemBody = z.infer<typeof problemSchema>;

export const healthResponse = z
  .object({ status: z.literal('ok'), checks: z.object({ table: z.literal('ok') }) })
  .meta({ id: 'Health', description: 'The API answers and its table can be read.' });

export type HealthResponse = z.infer<typeof healthResponse>;
