/**
 * Operators create merchants (admin key); merchants rotate their keys: a new key, then revoke the old one.
 */
import { dynamoDocumentClient } from '../adapters/aws.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { tableNameFromEnv } from '../config.ts';
import {
  createMerchantBody,
  type ApiKeyResponse,
  type MerchantResponse,
  type RevokedApiKeyResponse,
} from '../contract/merchants.ts';
import { requireCurrency } from '../core/money.ts';
import { createApiHandler } from '../http/handler.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';

export type MerchantRoutesStore = Pick<MerchantStore, 'createMerchant' | 'createApiKey' | 'revokeApiKey'>;

export function merchantRoutes(store: MerchantRoutesStore, now: () => Date = () => new Date()): ApiRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/merchants',
      body: createMerchantBody,
      handle: async (request) => {
        const currency = requireCurrency(request.body.default_currency, 'default_currency');
        const { merchant, apiKey } = await store.createMerchant(
          {
            merchantId: request.newId('merchant'),
            name: request.body.name,
            email: request.body.email,
            defaultCurrency: currency.code,
            createdAt: now().toISOString(),
          },
          request.newId('apiKey'),
        );
        const body: MerchantResponse = {
          merchant_id: merchant.merchantId,
          name: merchant.name,
          email: merchant.email,
          default_currency: merchant.defaultCurrency,
          created_at: merchant.createdAt,
          api_key: { id: apiKey.keyId, secret: apiKey.secret },
        };
        return { status: 201, body };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api_keys',
      handle: async (request) => {
        const apiKey = await store.createApiKey(merchantOf(request).merchantId, request.newId('apiKey'), now().toISOString());
        const body: ApiKeyResponse = { id: apiKey.keyId, secret: apiKey.secret, created_at: apiKey.createdAt };
        return { status: 201, body };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api_keys/{id}',
      handle: async (request) => {
        const revoked = await store.revokeApiKey(
          merchantOf(request).merchantId,
          request.pathParameters.id ?? '',
          now().toISOString(),
        );
        const body: RevokedApiKeyResponse = { id: revoked.keyId, revoked: true, revoked_at: revoked.revokedAt };
        return { status: 200, body };
      },
    }),
  ];
}

export const handler = createApiHandler(merchantRoutes(new MerchantStore(dynamoDocumentClient, tableNameFromEnv())));
