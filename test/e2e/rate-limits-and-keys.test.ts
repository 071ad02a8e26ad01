/**
 * Per merchant key rate limits and key rotation over HTTP on the local runtime. The runtime is started with
 * a small bucket (2 per second, burst 5) so that a short burst goes over it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

describe('rate limits and API keys on the local runtime', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ runtime: { demoMerchant: false, rateLimit: { ratePerSecond: 2, burst: 5 } } });
  });
  afterAll(() => gateway.close());

  it("answers a burst over the merchant's bucket with 429 rate_limited and Retry-After, and serves every accepted request", async () => {
    const merchant = await gateway.createMerchant('USD');

    const answers = await Promise.all(
      Array.from({ length: 12 }, () => gateway.request('GET', '/transactions', { key: merchant.apiKey })),
    );

    const served = answers.filter((answer) => answer.status === 200);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(served.length + limited.length).toBe(answers.length);
    expect(served.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    for (const answer of served) expect(Array.isArray(answer.body)).toBe(true);
    for (const answer of limited) {
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it("does not let one merchant's burst throttle another merchant", async () => {
    const noisy = await gateway.createMerchant('USD');
    const quiet = await gateway.createMerchant('USD');
    await Promise.all(Array.from({ length: 10 }, () => gateway.request('GET', '/transactions', { key: noisy.apiKey })));

    const answer = await gateway.request('GET', '/transactions', { key: quiet.apiKey });

    expect(answer.status).toBe(200);
  });

  it('keeps the old key working after a rotation until it is revoked, then refuses it at once', async () => {
    const created = await gateway.request('POST', '/merchants', {
      key: gateway.adminKey,
      body: { name: 'Rotating merchant', email: 'rotate@example.com', default_currency: 'USD' },
    });
    const oldKey = { id: String(created.body.api_key.id), secret: String(created.body.api_key.secret) };
    const call = (secret: string) => gateway.request('GET', '/events', { key: secret });

    const rotated = await gateway.request('POST', '/api_keys', { key: oldKey.secret });
    const oldAfterRotation = await call(oldKey.secret);
    const revoked = await gateway.request('DELETE', `/api_keys/${oldKey.id}`, { key: String(rotated.body.secret) });
    const oldAfterRevocation = await call(oldKey.secret);
    const newAfterRevocation = await call(String(rotated.body.secret));

    expect(rotated.status).toBe(201);
    expect(oldAfterRotation.status).toBe(200);
    expect(revoked.status).toBe(200);
    // Locally every request asks the authorizer (no result cache), so the very next use is refused.
    expect(oldAfterRevocation.status).toBe(401);
    expect(oldAfterRevocation.body).toMatchObject({ code: 'unauthenticated' });
    expect(newAfterRevocation.status).toBe(200);
  });
});
