/**
 * Whose Idempotency-Keys a request uses, and how a response that holds a secret is kept: the pipeline with
 * records in memory and a sealer that stands in for KMS (reversible, bound to its context like KMS).
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { KmsSeal } from '../../../functions/adapters/kms-seal.ts';
import { createApiHandler } from '../../../functions/http/handler.ts';
import { defineRoute } from '../../../functions/http/route.ts';
import { declared } from './declared.ts';
import type { SealContext, Sealer } from '../../../functions/idempotency/ports.ts';
import { sealContextOf } from '../../../functions/idempotency/sealed-responses.ts';
import { apiEvent, jsonOf, lambdaContext, merchant, type Caller } from './api-event.ts';
import { MemoryIdempotencyRecords, memoryPipeline } from './memory-idempotency.ts';

const checkoutSession = (sessionId: string): Caller => ({ principal: 'checkout_session', merchantId: merchant.merchantId, sessionId });

/** Seals as `sealed:<context>:<base64>`, and opens only under the very same context, as KMS does. */
class FakeSealer implements Sealer {
  readonly contexts: SealContext[] = [];
  async seal(plaintext: string, context: SealContext): Promise<string> {
    this.contexts.push(context);
    return `sealed:${JSON.stringify(context)}:${Buffer.from(plaintext).toString('base64')}`;
  }
  async open(sealed: string, context: SealContext): Promise<string> {
    const prefix = `sealed:${JSON.stringify(context)}:`;
    if (!sealed.startsWith(prefix)) throw new Error('InvalidCiphertextException');
    return Buffer.from(sealed.slice(prefix.length), 'base64').toString('utf8');
  }
}

function gateway() {
  const records = new MemoryIdempotencyRecords();
  const sealer = new FakeSealer();
  let issued = 0;
  const handler = createApiHandler(
    [
      defineRoute(declared('POST', '/payments', { body: z.strictObject({ amount: z.number().int() }) }), async (request) => ({
        status: 201,
        body: { transaction_id: request.newId('transaction') },
      })),
      defineRoute(declared('POST', '/checkout/pay', { body: z.strictObject({ card_number: z.string() }) }), async (request) => ({
        status: 201,
        body: { transaction_id: request.newId('transaction') },
      })),
      defineRoute(declared('POST', '/api_keys', { secretInResponse: true }), async () => {
        issued += 1;
        return { status: 201, body: { id: `key_${issued}`, secret: `sk_test_secret_${issued}` } };
      }),
    ],
    { idempotencyRecords: () => records, responseSealer: async () => sealer },
  );
  const post = (path: string, caller: Caller, body: string, key: string) =>
    handler(apiEvent('POST', path, { caller, body, headers: { 'Idempotency-Key': key } }), lambdaContext);
  return { records, sealer, post };
}

describe('Idempotency-Key scopes', () => {
  it("does not let a session's holder take a key the merchant will use", async () => {
    const { post } = gateway();

    const shopper = await post('/checkout/pay', checkoutSession('chk_1'), '{"card_number":"4242"}', 'order-1001');
    const merchantCall = await post('/payments', merchant, '{"amount":100}', 'order-1001');

    expect(shopper.statusCode).toBe(201);
    expect(merchantCall.statusCode).toBe(201);
    expect(merchantCall.headers).not.toHaveProperty('Idempotent-Replayed');
  });

  it('gives each session its own keys, and still replays within one session', async () => {
    const { post } = gateway();

    const first = await post('/checkout/pay', checkoutSession('chk_1'), '{"card_number":"4242"}', 'pay-1');
    const otherSession = await post('/checkout/pay', checkoutSession('chk_2'), '{"card_number":"5555"}', 'pay-1');
    const retry = await post('/checkout/pay', checkoutSession('chk_1'), '{"card_number":"4242"}', 'pay-1');

    expect(otherSession.statusCode).toBe(201);
    expect(jsonOf(otherSession).transaction_id).not.toBe(jsonOf(first).transaction_id);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
  });
});

describe('responses that hold a secret', () => {
  it('are kept sealed, bound to their scope and a hash of their key, and replayed in clear byte for byte', async () => {
    const { records, sealer, post } = gateway();

    const first = await post('/api_keys', merchant, '', 'rotate-1');
    const stored = await records.get({ merchantId: merchant.merchantId, key: 'rotate-1' });
    const retry = await post('/api_keys', merchant, '', 'rotate-1');

    expect(jsonOf(first).secret).toBe('sk_test_secret_1');
    expect(stored?.response?.sealed).toBe(true);
    expect(JSON.stringify(stored)).not.toContain('sk_test_secret_1');
    expect(sealer.contexts).toEqual([sealContextOf({ merchantId: merchant.merchantId, key: 'rotate-1' })]);
    expect(sealer.contexts[0]).toEqual({ purpose: 'idempotent_response', scope: merchant.merchantId, key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(retry.body).toBe(first.body);
  });

  it('are not sealed for routes whose answer holds no secret', async () => {
    const { records, post } = gateway();

    await post('/payments', merchant, '{"amount":100}', 'pay-plain');

    expect((await records.get({ merchantId: merchant.merchantId, key: 'pay-plain' }))?.response?.sealed).toBeUndefined();
  });

  it('need the function to hold the sealing grant: a flagged route elsewhere fails the cold start', () => {
    const flagged = defineRoute(declared('POST', '/orders', { secretInResponse: true }), async () => ({ status: 201, body: {} }));

    expect(() => createApiHandler([flagged], memoryPipeline())).toThrow(/secretInResponse needs access.idempotentResponses on orders/);
  });

  it('fail loudly when over the 4 KB KMS Encrypt takes, before calling KMS', async () => {
    const kms = { send: () => Promise.reject(new Error('KMS must not be called')) };
    const seal = new KmsSeal(kms as unknown as KMSClient, 'key-id');

    await expect(seal.seal('x'.repeat(4097), { purpose: 'idempotent_response' })).rejects.toThrow(/cannot seal 4097 bytes/);
  });
});
