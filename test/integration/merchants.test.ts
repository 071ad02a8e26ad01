/**
 * Merchants and keys against the embedded DynamoDB, through the real handlers: the admin creates a merchant,
 * its key passes the authorizer, the merchant rotates and revokes, and the revoked key is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { MerchantStore } from '../../functions/adapters/merchant-store.ts';
import { SessionStore } from '../../functions/adapters/session-store.ts';
import { localUsagePlanEnrollment } from '../../functions/adapters/usage-plan.ts';
import { makeHealthHandler } from '../../functions/health/handler.ts';
import type { ApiHandler } from '../../functions/http/handler.ts';
import { makeAuthorizer, type Authorizer } from '../../functions/merchants/authorizer.ts';
import { makeMerchantsHandler } from '../../functions/merchants/handler.ts';
import { hashSecret } from '../../functions/merchants/secret-keys.ts';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { apiEvent, authorizerEvent, jsonOf, lambdaContext, type Caller } from '../unit/http/api-event.ts';
import { captureLogs } from '../unit/http/capture-logs.ts';
import { memoryPipeline } from '../unit/http/memory-idempotency.ts';

const ADMIN_KEY = 'integration-admin-key-0123456789abcdef';
const CREATE_API_KEY = { method: 'POST', resource: '/api_keys', path: '/api_keys' };


describe('merchants and API keys on the embedded DynamoDB', () => {
  let table: TestTable;
  let merchants: ApiHandler;
  let authorizer: Authorizer;
  let health: ApiHandler;

  const authorize = (key: string): Promise<APIGatewayAuthorizerResult> => authorizer(authorizerEvent(CREATE_API_KEY, { Authorization: `Bearer ${key}` }), lambdaContext);
  const callerOf = (result: APIGatewayAuthorizerResult): Caller => result.context as Caller;

  async function createMerchant(name: string) {
    const response = await merchants(
      apiEvent('POST', '/merchants', {
        caller: { principal: 'admin' },
        body: JSON.stringify({ name, email: 'owner@example.com', default_currency: 'JPY' }),
      }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(201);
    const body = jsonOf(response) as { merchant_id: string; api_key: { id: string; secret: string } };
    return { merchantId: body.merchant_id, keyId: body.api_key.id, secret: body.api_key.secret };
  }

  async function revoke(caller: Caller, keyId: string) {
    return merchants(
      apiEvent('DELETE', '/api_keys/{id}', { caller, pathParameters: { id: keyId }, path: `/api_keys/${keyId}` }),
      lambdaContext,
    );
  }

  beforeAll(async () => {
    table = await startTestTable('merchants-test');
    const store = new MerchantStore(table.db, table.tableName);
    // The stand-in the local runtime enrols merchants with: there is no usage plan outside the cloud.
    merchants = makeMerchantsHandler({ accounts: store, usagePlan: localUsagePlanEnrollment, now: () => new Date(), ...memoryPipeline() });
    authorizer = makeAuthorizer({
      adminKey: async () => ADMIN_KEY,
      apiKeys: store,
      sessions: new SessionStore(table.db, table.tableName),
    });
    health = makeHealthHandler({ table: store, ...memoryPipeline() });
  });
  afterAll(() => table.close());

  it('creates a merchant whose key the authorizer accepts as that merchant', async () => {
    const created = await createMerchant('Acme');

    const result = await authorize(created.secret);

    expect(created.secret).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(result.context).toEqual({ principal: 'merchant', merchantId: created.merchantId, keyId: created.keyId });
  });

  it('accepts the admin key as the admin', async () => {
    const result = await authorize(ADMIN_KEY);

    expect(result.context).toEqual({ principal: 'admin' });
  });

  it('rotates: a new key works alongside the old one, and the revoked old one is refused from its next use', async () => {
    const created = await createMerchant('Rotator');
    const caller = callerOf(await authorize(created.secret));

    const rotated = await merchants(apiEvent('POST', '/api_keys', { caller }), lambdaContext);
    expect(rotated.statusCode).toBe(201);
    const newKey = jsonOf(rotated) as { id: string; secret: string };
    expect(newKey.secret).not.toBe(created.secret);
    expect((await authorize(newKey.secret)).context).toMatchObject({ merchantId: created.merchantId, keyId: newKey.id });
    expect((await authorize(created.secret)).context).toMatchObject({ keyId: created.keyId });

    const revoked = await revoke(callerOf(await authorize(newKey.secret)), created.keyId);

    expect(revoked.statusCode).toBe(200);
    expect(jsonOf(revoked)).toEqual({ id: created.keyId, revoked: true, revoked_at: expect.any(String) });
    await expect(authorize(created.secret)).rejects.toThrow(/^Unauthorized$/);
    expect((await authorize(newKey.secret)).context).toMatchObject({ merchantId: created.merchantId });
  });

  it('answers a second revocation with the time of the first', async () => {
    const created = await createMerchant('Twice');
    const caller = callerOf(await authorize(created.secret));

    const first = jsonOf(await revoke(caller, created.keyId));
    const second = await revoke(caller, created.keyId);

    expect(second.statusCode).toBe(200);
    expect(jsonOf(second)).toEqual(first);
  });

  it("answers 404 to a merchant revoking another merchant's key, which keeps working", async () => {
    const victim = await createMerchant('Victim');
    const attacker = await createMerchant('Attacker');

    const response = await revoke(callerOf(await authorize(attacker.secret)), victim.keyId);

    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'id' });
    expect((await authorize(victim.secret)).context).toMatchObject({ merchantId: victim.merchantId });
  });

  it('stores no secret key, only its hash', async () => {
    const created = await createMerchant('Hashed');

    const { Items = [] } = await table.db.send(new ScanCommand({ TableName: table.tableName }));
    const stored = JSON.stringify(Items);

    expect(stored).not.toContain(created.secret);
    expect(stored).toContain(hashSecret(created.secret));
  });

  it('keeps the merchant readable for the routes that need its default currency', async () => {
    const created = await createMerchant('Readable');
    const store = new MerchantStore(table.db, table.tableName);

    expect(await store.getMerchant(created.merchantId)).toMatchObject({
      merchantId: created.merchantId,
      name: 'Readable',
      defaultCurrency: 'JPY',
    });
    expect(await store.defaultCurrencyOf(created.merchantId)).toBe('JPY');
    await expect(store.defaultCurrencyOf('mer_missing')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it("stores the merchant's usage plan key, which the authorizer names for its keys and for no other merchant", async () => {
    const enrolled = await createMerchant('Enrolled');
    const store = new MerchantStore(table.db, table.tableName);
    const { apiKey: unenrolledKey } = await store.createMerchant(
      {
        merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0U',
        name: 'Before usage plans',
        email: 'old@example.com',
        defaultCurrency: 'USD',
        createdAt: '2030-01-01T00:00:00.000Z',
      },
      'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0U',
    );

    const enrolledAnswer = await authorize(enrolled.secret);
    const unenrolledOwner = await store.findActiveKey(hashSecret(unenrolledKey.secret));

    // The local enrolment stand-in gives a stable value per merchant.
    expect((await store.getMerchant(enrolled.merchantId))?.usagePlanKey).toBe(`local_${enrolled.merchantId}`);
    expect(enrolledAnswer.usageIdentifierKey).toBe(`local_${enrolled.merchantId}`);
    expect(unenrolledOwner).toEqual({ merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0U', keyId: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0U' });
  });

  it('resolves a key, first or rotated, with its usage plan key in one read', async () => {
    const created = await createMerchant('One read');
    const caller = callerOf(await authorize(created.secret));
    const rotated = jsonOf(await merchants(apiEvent('POST', '/api_keys', { caller }), lambdaContext)) as { secret: string };
    const reads: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        reads.push(command.constructor.name);
        return table.db.send(command as Parameters<typeof table.db.send>[0]);
      },
    } as unknown as typeof table.db;
    const store = new MerchantStore(counting, table.tableName);

    const owners = [
      await store.findActiveKey(hashSecret(created.secret)),
      await store.findActiveKey(hashSecret(rotated.secret)),
    ];

    expect(owners.map((owner) => owner?.usagePlanKey)).toEqual([`local_${created.merchantId}`, `local_${created.merchantId}`]);
    expect(reads).toEqual(['GetCommand', 'GetCommand']);
  });

  it('lets a retry of the same creation find its merchant, and refuses a different one with the same id', async () => {
    const store = new MerchantStore(table.db, table.tableName);
    const merchant = {
      merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0R',
      name: 'Retry',
      email: 'retry@example.com',
      defaultCurrency: 'USD',
      createdAt: '2030-01-01T00:00:00.000Z',
    };
    await store.createMerchant(merchant, 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0R');

    const retried = await store.createMerchant({ ...merchant, createdAt: '2030-01-01T00:00:01.000Z' }, 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0S');

    expect(retried.merchant).toEqual(merchant);
    await expect(store.createMerchant({ ...merchant, name: 'Other' }, 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0T')).rejects.toMatchObject({
      code: 'merchant_exists',
    });
  });

  it('reports the table healthy', async () => {
    const response = await health(apiEvent('GET', '/health'), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({ status: 'ok', checks: { table: 'ok' } });
  });

  it('reports 503 when the table cannot be reached', async () => {
    // Nothing listens on port 9 of loopback: the connection is refused at once.
    const unreachable = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'local', credentials: localCredentials, maxAttempts: 1 }),
    );
    const handler = makeHealthHandler({ table: new MerchantStore(unreachable, table.tableName), ...memoryPipeline() });

    let response: Awaited<ReturnType<typeof handler>> | undefined;
    const logs = await captureLogs(async () => {
      response = await handler(apiEvent('GET', '/health'), lambdaContext);
    });

    expect(response?.statusCode).toBe(503);
    expect(response?.headers?.['Content-Type']).toBe('application/problem+json');
    expect(logs).toContain('the table cannot be read');
    unreachable.destroy();
  });
});
