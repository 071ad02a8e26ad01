/**
 * Stored Idempotency-Key responses that hold a secret (a merchant's `sk_` keys, a hosted-page `cs_` token)
 * are sealed with KMS: the whole gateway on dynalite and the local KMS endpoint, then a scan of the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAME } from '../../lib/local/runtime.ts';
import { startTestGateway, type HttpResult, type TestGateway } from '../support/gateway.ts';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ runtime: { demoMerchant: false } });
}, 60_000);
afterAll(async () => gateway?.close());

async function scanTable(): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: gateway.endpoints.dynamodb, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: TABLE_NAME })) items.push(...(page.Items ?? []));
  client.destroy();
  return items;
}

/** The same request twice with one Idempotency-Key: the first answer and its replay. */
async function sendTwice(path: string, key: string, body: unknown, idempotencyKey: string): Promise<[HttpResult, HttpResult]> {
  const send = () => gateway.request('POST', path, { key, body, headers: { 'Idempotency-Key': idempotencyKey } });
  const first = await send();
  return [first, await send()];
}

function expectReplayOf(replay: HttpResult, first: HttpResult): void {
  expect(first.status, first.text).toBe(201);
  expect(first.headers.get('Idempotent-Replayed')).toBeNull();
  expect(replay.status).toBe(201);
  expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
  expect(replay.text).toBe(first.text);
}

describe('Idempotency-Key records of responses that hold a secret', () => {
  it('keep no sk_ key or cs_ token in clear, and replay the identical body', async () => {
    const [merchant, merchantReplay] = await sendTwice(
      '/merchants',
      gateway.adminKey,
      { name: 'Sealed', email: 'owner@example.com', default_currency: 'USD' },
      'merchant-1',
    );
    expectReplayOf(merchantReplay, merchant);
    const merchantKey: string = merchant.body.api_key.secret;
    const [apiKey, apiKeyReplay] = await sendTwice('/api_keys', merchantKey, {}, 'rotate-1');
    expectReplayOf(apiKeyReplay, apiKey);
    const [checkout, checkoutReplay] = await sendTwice('/checkout_sessions', merchantKey, { amount: 1200, currency: 'USD' }, 'order-1001');
    expectReplayOf(checkoutReplay, checkout);
    const token = new URL(checkout.body.url).hash.replace(/^#token=/, '');
    const secrets = [merchantKey, apiKey.body.secret as string, token];

    const items = await scanTable();
    const records = items.filter((item) => String(item.pk).startsWith('IDEM#'));
    const text = JSON.stringify(items);

    expect(secrets.map((secret) => secret.slice(0, 3))).toEqual(['sk_', 'sk_', 'cs_']);
    expect(records).toHaveLength(3);
    expect(records.map((record) => (record.response as { sealed?: boolean }).sealed)).toEqual([true, true, true]);
    expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
    // Far below the 4 KB KMS Encrypt takes directly.
    expect(Math.max(merchant.text.length, apiKey.text.length, checkout.text.length)).toBeLessThan(1024);
  });
});
