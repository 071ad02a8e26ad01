/**
 * Over HTTP on the local runtime: a path parameter that cannot be an id (3,000 characters, more than a
 * DynamoDB key may hold) is a 404 naming the parameter, never a 500, on a merchant route and a session route;
 * and the one non-id parameter, a page asset's file name, is a 404 too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const LONG = 'txn_' + 'A'.repeat(2996);

let gateway: TestGateway;
let apiKey: string;

beforeAll(async () => {
  gateway = await startTestGateway({ runtime: { demoMerchant: false } });
  ({ apiKey } = await gateway.createMerchant('USD'));
});
afterAll(async () => gateway?.close());

async function consoleToken(): Promise<string> {
  const created = await gateway.request('POST', '/console_sessions', { key: apiKey, body: {} });
  expect(created.status, created.text).toBe(201);
  return new URL(created.body.url).hash.replace(/^#token=/, '');
}

describe('a path parameter that cannot be an id', () => {
  it('is a 404 on GET /payments/{transaction_id}', async () => {
    const answer = await gateway.request('GET', `/payments/${LONG}`, { key: apiKey });

    expect(answer.status, answer.text).toBe(404);
    expect(answer.body).toMatchObject({ code: 'resource_missing', param: 'transaction_id' });
  });

  it('is a 404 on GET /customers/{id}', async () => {
    const answer = await gateway.request('GET', `/customers/${'x'.repeat(3000)}`, { key: apiKey });

    expect(answer.status, answer.text).toBe(404);
    expect(answer.body).toMatchObject({ code: 'resource_missing', param: 'id' });
  });

  it('is a 404 on GET /console/transactions/{transaction_id}', async () => {
    const answer = await gateway.request('GET', `/console/transactions/${LONG}`, { key: await consoleToken() });

    expect(answer.status, answer.text).toBe(404);
    expect(answer.body).toMatchObject({ code: 'resource_missing', param: 'transaction_id' });
  });

  it('is a 404 for a page asset of 3,000 characters, which the pages function checks itself', async () => {
    const answer = await gateway.request('GET', `/pages/assets/${'a'.repeat(3000)}.js`);

    expect(answer.status, answer.text).toBe(404);
  });
});
