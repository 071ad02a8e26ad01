import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { newId } from '../../functions/core/ids.ts';
import { WebhookEndpointStore } from '../../functions/adapters/webhook-endpoint-store.ts';
import type { WebhookEndpoint } from '../../functions/webhooks/ports.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';

describe('webhook endpoint store', () => {
  let table: TestTable;
  let store: WebhookEndpointStore;

  beforeAll(async () => {
    table = await startTestTable();
    store = new WebhookEndpointStore(table.db, table.tableName);
  });
  afterAll(() => table.close());

  const endpointOf = (endpointId: string, merchantId: string, sealedSecret: string): WebhookEndpoint => ({
    endpointId,
    merchantId,
    url: 'https://hooks.example.com/hook',
    events: ['*'],
    status: 'enabled',
    disabledReason: undefined,
    sealedSecret,
    created: new Date().toISOString(),
  });

  it('lets a retried create (same id, same merchant) replace the secret the first run stored', async () => {
    const endpointId = newId('webhookEndpoint');
    await store.create(endpointOf(endpointId, 'mer_a', 'sealed-first'));

    await store.create(endpointOf(endpointId, 'mer_a', 'sealed-retry'));

    expect((await store.get(endpointId))?.sealedSecret).toBe('sealed-retry');
  });

  it("refuses to overwrite another merchant's endpoint under the same id", async () => {
    const endpointId = newId('webhookEndpoint');
    await store.create(endpointOf(endpointId, 'mer_a', 'sealed-a'));

    await expect(store.create(endpointOf(endpointId, 'mer_b', 'sealed-b'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await store.get(endpointId)).toMatchObject({ merchantId: 'mer_a', sealedSecret: 'sealed-a' });
  });
});
