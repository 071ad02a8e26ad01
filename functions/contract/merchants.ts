/**
 * Bodies of the merchant and API key routes. They validate requests in the handlers and are the source of
 * the schemas in openapi.yaml, so the contract is written once.
 */
import * as z from 'zod';
import { currencyCode, timestamp } from './common.ts';

export const createMerchantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).meta({ description: "The merchant's business name." }),
    email: z.email().max(254).meta({ description: 'Where the operator reaches the merchant.' }),
    default_currency: currencyCode.meta({
      description: 'ISO 4217 code, upper case: the currency of payments that name none.',
      examples: ['EUR'],
    }),
  })
  .meta({ id: 'CreateMerchantRequest' });

export type CreateMerchantBody = z.infer<typeof createMerchantBody>;

const secretKey = z
  .string()
  .meta({ description: 'The secret key, `sk_live_...`. Shown this once: only its hash is stored.' });

export const merchantResponse = z
  .object({
    merchant_id: z.string().meta({ examples: ['mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E'] }),
    name: z.string(),
    email: z.string(),
    default_currency: z.string(),
    created_at: timestamp,
    api_key: z.object({ id: z.string().meta({ examples: ['key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F'] }), secret: secretKey }),
  })
  .meta({ id: 'Merchant' });

export type MerchantResponse = z.infer<typeof merchantResponse>;

export const apiKeyResponse = z
  .object({ id: z.string(), secret: secretKey, created_at: timestamp })
  .meta({ id: 'ApiKey', description: 'A new secret key; the keys made before it keep working until revoked.' });

export type ApiKeyResponse = z.infer<typeof apiKeyResponse>;

export const revokedApiKeyResponse = z
  .object({ id: z.string(), revoked: z.literal(true), revoked_at: timestamp })
  .meta({ id: 'RevokedApiKey', description: 'The key is refused (401) from now on.' });

export type RevokedApiKeyResponse = z.infer<typeof revokedApiKeyResponse>;
