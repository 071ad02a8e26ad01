/**
 * Operators create merchants (admin key); merchants rotate their keys: a new key, then revoke the old one.
 * A new merchant is enrolled in the usage plan first (its own throttle in the cloud), so that the record
 * written after it holds the usage plan key the authorizer hands API Gateway.
 */
import type { ApiKeyResponse, MerchantResponse, RevokedApiKeyResponse } from '../contract/merchants.ts';
import { requireCurrency } from '../core/money.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import type { MerchantAccounts, UsagePlanEnrollment } from './ports.ts';
import { merchantRoutes } from './routes.ts';

export interface MerchantsDependencies extends ApiPipelineDependencies {
  readonly accounts: MerchantAccounts;
  readonly usagePlan: UsagePlanEnrollment;
  readonly now: () => Date;
}

export function makeMerchantsHandler({ accounts, usagePlan, now, ...pipeline }: MerchantsDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(merchantRoutes.createMerchant, async (request) => {
        const currency = requireCurrency(request.body.default_currency, 'default_currency');
        const merchantId = request.newId('merchant');
        // Idempotent, like the writes below: a retry of this request reuses the key made for this id.
        const { apiKeyValue } = await usagePlan.enroll(merchantId);
        const { merchant, apiKey } = await accounts.createMerchant(
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
      defineRoute(merchantRoutes.createApiKey, async (request) => {
        const apiKey = await accounts.createApiKey(merchantOf(request).merchantId, request.newId('apiKey'), now().toISOString());
        const body: ApiKeyResponse = { id: apiKey.keyId, secret: apiKey.secret, created_at: apiKey.createdAt };
        return { status: 201, body };
      }),
      defineRoute(merchantRoutes.revokeApiKey, async (request) => {
        const revoked = await accounts.revokeApiKey(
          merchantOf(request).merchantId,
          request.pathParameters.id ?? '',
          now().toISOString(),
        );
        const body: RevokedApiKeyResponse = { id: revoked.keyId, revoked: true, revoked_at: revoked.revokedAt };
        return { status: 200, body };
      }),
    ],
    pipeline,
  );
}
