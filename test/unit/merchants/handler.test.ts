import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { makeMerchantsHandler } from '../../../functions/merchants/handler.ts';
import type { Merchant } from '../../../functions/core/merchant.ts';
import type { MerchantAccounts, UsagePlanEnrollment } from '../../../functions/merchants/ports.ts';
import { admin, apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { captureLogs } from '../http/capture-logs.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';

/** Records what the routes ask of the store; the store itself is tested against dynalite. */
function recordingStore() {
  const revoked = new Map<string, string>();
  const store: MerchantAccounts = {
    createMerchant: async (created, keyId) => ({
      merchant: created,
      apiKey: { keyId, secret: `sk_live_${'a'.repeat(32)}`, createdAt: created.createdAt },
    }),
    createApiKey: async (_merchantId, keyId, createdAt) => ({ keyId, secret: `sk_live_${'b'.repeat(32)}`, createdAt }),
    revokeApiKey: async (merchantId, keyId, revokedAt) => {
      if (merchantId !== merchant.merchantId || !keyId.startsWith('key_')) throw new NotFoundError('API key', keyId, 'id');
      revoked.set(keyId, revokedAt);
      return { keyId, revokedAt };
    },
  };
  return { store, revoked };
}

const now = () => new Date('2030-01-02T03:04:05.000Z');
const localEnrollment: UsagePlanEnrollment = { enroll: async (merchantId) => ({ apiKeyValue: `local_${merchantId}` }) };

const createMerchant = (body: unknown, caller = admin as typeof admin | typeof merchant) =>
  apiEvent('POST', '/merchants', { caller, body: JSON.stringify(body) });

describe('merchant and API key routes', () => {
  const { store, revoked } = recordingStore();
  const handler = makeMerchantsHandler({ accounts: store, usagePlan: localEnrollment, now, ...memoryPipeline() });

  it('creates a merchant for the admin and shows its first secret key', async () => {
    const response = await handler(
      createMerchant({ name: 'Acme', email: 'ops@acme.example', default_currency: 'EUR' }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(201);
    expect(jsonOf(response)).toEqual({
      merchant_id: expect.stringMatching(/^mer_[0-9A-Z]{26}$/),
      name: 'Acme',
      email: 'ops@acme.example',
      default_currency: 'EUR',
      created_at: '2030-01-02T03:04:05.000Z',
      api_key: { id: expect.stringMatching(/^key_[0-9A-Z]{26}$/), secret: expect.stringMatching(/^sk_live_/) },
    });
  });

  it.each([
    [{ name: 'Acme', email: 'ops@acme.example', default_currency: 'XYZ' }, 'invalid_currency', 'default_currency'],
    [{ name: 'Acme', email: 'ops@acme.example', default_currency: 'eur' }, 'invalid_currency', 'default_currency'],
    [{ name: 'Acme', default_currency: 'EUR' }, 'parameter_missing', 'email'],
    [{ name: 'Acme', email: 'not-an-email', default_currency: 'EUR' }, 'parameter_invalid', 'email'],
    [{ name: '   ', email: 'ops@acme.example', default_currency: 'EUR' }, 'parameter_invalid', 'name'],
    [{ name: 'Acme', email: 'ops@acme.example', default_currency: 978 }, 'parameter_invalid', 'default_currency'],
    [{ name: 'Acme', email: 'ops@acme.example', default_currency: 'EUR', plan: 'gold' }, 'parameter_unknown', 'plan'],
  ])('refuses %j with 400 %s on %s', async (body, code, param) => {
    const response = await handler(createMerchant(body), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toMatchObject({ code, param });
  });

  it('refuses merchant creation with a merchant key', async () => {
    const response = await handler(
      createMerchant({ name: 'Acme', email: 'ops@acme.example', default_currency: 'EUR' }, merchant),
      lambdaContext,
    );

    expect(response.statusCode).toBe(403);
    expect(jsonOf(response)).toMatchObject({ code: 'forbidden' });
  });

  it('gives a merchant another key', async () => {
    const response = await handler(apiEvent('POST', '/api_keys', { caller: merchant }), lambdaContext);

    expect(response.statusCode).toBe(201);
    expect(jsonOf(response)).toEqual({
      id: expect.stringMatching(/^key_/),
      secret: expect.stringMatching(/^sk_live_/),
      created_at: '2030-01-02T03:04:05.000Z',
    });
  });

  it('refuses fields in a key request, which takes none', async () => {
    const response = await handler(apiEvent('POST', '/api_keys', { caller: merchant, body: '{"name":"ci"}' }), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toMatchObject({ code: 'parameter_unknown', param: 'name' });
  });

  it("revokes one of the merchant's keys", async () => {
    const event = apiEvent('DELETE', '/api_keys/{id}', {
      caller: merchant,
      pathParameters: { id: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0G' },
      path: '/api_keys/key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0G',
    });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({ id: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0G', revoked: true, revoked_at: '2030-01-02T03:04:05.000Z' });
    expect(revoked.has('key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0G')).toBe(true);
  });

  it("answers 404 to a merchant revoking another merchant's key, and revokes nothing", async () => {
    const other = { principal: 'merchant', merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0X', keyId: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0X' } as const;
    const event = apiEvent('DELETE', '/api_keys/{id}', { caller: other, pathParameters: { id: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0H' } });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(404);
    expect(revoked.has('key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0H')).toBe(false);
  });

  it('answers 404 for a key the merchant does not have', async () => {
    const event = apiEvent('DELETE', '/api_keys/{id}', { caller: merchant, pathParameters: { id: 'nope' } });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'id' });
  });
});

describe('merchant creation and the usage plan', () => {
  const body = { name: 'Acme', email: 'ops@acme.example', default_currency: 'EUR' };

  function handlerWith(enroll: UsagePlanEnrollment['enroll']) {
    const created: Merchant[] = [];
    const { store } = recordingStore();
    const recording: MerchantAccounts = {
      ...store,
      createMerchant: async (merchantToCreate, keyId) => {
        created.push(merchantToCreate);
        return store.createMerchant(merchantToCreate, keyId);
      },
    };
    return { handler: makeMerchantsHandler({ accounts: recording, usagePlan: { enroll }, now, ...memoryPipeline() }), created };
  }

  it('enrols the new merchant first and stores its usage plan key on the merchant, never in the response', async () => {
    const enrolled: string[] = [];
    const { handler, created } = handlerWith(async (merchantId) => {
      enrolled.push(merchantId);
      return { apiKeyValue: 'usage-plan-key-value-0123456789abcdef' };
    });

    const response = await handler(createMerchant(body), lambdaContext);

    expect(response.statusCode).toBe(201);
    expect(enrolled).toEqual([jsonOf(response).merchant_id]);
    expect(created).toEqual([expect.objectContaining({ merchantId: enrolled[0], usagePlanKey: 'usage-plan-key-value-0123456789abcdef' })]);
    expect(response.body).not.toContain('usage-plan-key-value');
  });

  it('writes no merchant when enrolment fails, and answers 500 so the client retries', async () => {
    const { handler, created } = handlerWith(async () => {
      throw new Error('API Gateway is unavailable');
    });

    let status: number | undefined;

    const logs = await captureLogs(async () => {
      status = (await handler(createMerchant(body), lambdaContext)).statusCode;
    });

    expect(status).toBe(500);
    expect(created).toEqual([]);
    expect(logs).toContain('API Gateway is unavailable');
  });
});
