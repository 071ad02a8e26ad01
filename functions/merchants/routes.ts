/** Operators create merchants with the admin key; merchants rotate their secret keys. */
import { apiKeyResponse, createMerchantBody, merchantResponse, revokedApiKeyResponse } from '../contract/merchants.ts';
import { declareRoutes, invalidCurrency, notFound } from '../http/route-declaration.ts';

const apiKeysTag = { name: 'API keys', description: 'Merchants rotate their secret keys: make a new one, then revoke the old.' };

export const merchantRoutes = declareRoutes({
  createMerchant: {
    method: 'POST',
    path: '/merchants',
    function: 'merchants',
    auth: 'admin',
    summary: 'Create a merchant and its first secret key',
    description: 'For operators, with the admin key. The secret key is in this response only: the gateway keeps its hash.',
    tag: { name: 'Merchants', description: 'Operators create merchants with the admin key.' },
    body: createMerchantBody,
    success: { status: 201, description: 'The merchant, with its first secret key.', schema: merchantResponse },
    errors: [invalidCurrency('default_currency')],
    secretInResponse: true,
  },
  createApiKey: {
    method: 'POST',
    path: '/api_keys',
    function: 'merchants',
    auth: 'merchant',
    summary: 'Make a new secret key for the caller',
    description: 'Keys made before it keep working until they are revoked. The secret is in this response only.',
    tag: apiKeysTag,
    success: { status: 201, description: 'The new key.', schema: apiKeyResponse },
    secretInResponse: true,
  },
  revokeApiKey: {
    method: 'DELETE',
    path: '/api_keys/{id}',
    function: 'merchants',
    auth: 'merchant',
    summary: "Revoke one of the caller's secret keys",
    description: 'Its next use is a 401. Revoking a revoked key answers the time it was first revoked.',
    tag: apiKeysTag,
    pathParameters: { id: 'The key, `key_...`.' },
    success: { status: 200, description: 'The key is revoked.', schema: revokedApiKeyResponse },
    errors: [notFound('API key', 'id')],
  },
});
