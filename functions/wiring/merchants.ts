/**
 * Operators create merchants (admin key); merchants rotate their keys: a new key, then revoke the old one.
 * A new merchant is enrolled in the usage plan first (its own throttle in the cloud), so that the record
 * written after it holds the usage plan key the authorizer hands API Gateway.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { localUsagePlanEnrollment, usagePlanEnrollmentFromEnv, type UsagePlanEnrollment } from '../adapters/usage-plan.ts';
import { tableNameFromEnv } from '../config.ts';
import {
  type ApiKeyResponse,
  type MerchantResponse,
  type RevokedApiKeyResponse,
} from '../contract/merchants.ts';
import { requireCurrency } from '../core/money.ts';
import { merchantRoutes as declared } from '../merchants/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';

export type MerchantRoutesStore = Pick<MerchantStore, 'createMerchant' | 'createApiKey' | 'revokeApiKey'>;

export function merchantRoutes(
  store: MerchantRoutesStore,
  now: () => Date = () => new Date(),
  usagePlan: UsagePlanEnrollment = localUsagePlanEnrollment,
): ApiRoute[] {
  return [
    defineRoute(declared.createMerchant, async (request) => {
      const currency = requireCurrency(request.body.default_currency, 'default_currency');
      const merchantId = request.newId('merchant');
      // Idempotent, like the writes below: a retry of this request reuses the key made for this id.
      const { apiKeyValue } = await usagePlan.enroll(merchantId);
      const { merchant, apiKey } = await store.createMerchant(
        {
          merchantId,
          name: request.body.name,
          email: request.body.email,
          defaultCurrency: currency.code,
          createdAt: now().toISOString(),
          usagePlanKey: apiKeyValue,
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
    }),
    defineRoute(declared.createApiKey, async (request) => {
      const apiKey = await store.createApiKey(merchantOf(request).merchantId, request.newId('apiKey'), now().toISOString());
      const body: ApiKeyResponse = { id: apiKey.keyId, secret: apiKey.secret, created_at: apiKey.createdAt };
      return { status: 201, body };
    }),
    defineRoute(declared.revokeApiKey, async (request) => {
      const revoked = await store.revokeApiKey(
        merchantOf(request).merchantId,
        request.pathParameters.id ?? '',
        now().toISOString(),
      );
      const body: RevokedApiKeyResponse = { id: revoked.keyId, revoked: true, revoked_at: revoked.revokedAt };
      return { status: 200, body };
    }),
  ];
}

export const handler = createApiHandler(
  merchantRoutes(new MerchantStore(dynamoDocumentClient, tableNameFromEnv()), undefined, usagePlanEnrollmentFromEnv()),
 apiPipeline
);
