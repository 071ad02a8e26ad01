/**
 * Hosted-page sessions against the embedded DynamoDB: tokens are 256-bit, stored only as their hash,
 * resolve to their scope through the authorizer, and stop working once expired or ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SessionStore } from '../../functions/adapters/session-store.ts';
import { SESSION_LIFETIME_SECONDS, generateSessionToken, hashSessionToken, sessionKindOfToken } from '../../functions/hosted/session.ts';
import { makeAuthorizer, type Authorizer } from '../../functions/merchants/authorizer.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { authorizerEvent, lambdaContext } from '../unit/http/api-event.ts';

const GET_WALLET = { method: 'GET', resource: '/wallet', path: '/wallet' };
const walletEvent = (token: string) => authorizerEvent(GET_WALLET, { Authorization: `Bearer ${token}` });


let table: TestTable;
let now: Date;
let store: SessionStore;
let authorizer: Authorizer;
const authorize = (event: APIGatewayRequestAuthorizerEvent) => authorizer(event, lambdaContext);

beforeAll(async () => {
  table = await startTestTable();
  now = new Date('2030-01-01T10:00:00Z');
  store = new SessionStore(table.db, table.tableName, () => now);
  authorizer = makeAuthorizer({
    adminKey: async () => 'admin-key-for-session-tests-0123456789',
    apiKeys: { findActiveKey: async () => undefined },
    sessions: store,
  });
});
afterAll(async () => table.close());

describe('session tokens', () => {
  it('carry 256 random bits in base64url after their kind prefix', () => {
    const tokens = [generateSessionToken('checkout'), generateSessionToken('checkout')];

    expect(tokens[0]).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(tokens[0]?.slice(3) ?? '', 'base64url')).toHaveLength(32);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(generateSessionToken('portal')).toMatch(/^ps_/);
    expect(generateSessionToken('console')).toMatch(/^cons_/);
  });

  it('are told apart from secret keys and mangled tokens by their shape', () => {
    expect(sessionKindOfToken(generateSessionToken('console'))).toBe('console');
    expect(sessionKindOfToken(`sk_live_${'A'.repeat(32)}`)).toBeUndefined();
    expect(sessionKindOfToken('cs_short')).toBeUndefined();
  });

  it('are stored only as their SHA-256', async () => {
    const { token } = await store.create({ id: 'ptl_STORED', kind: 'portal', merchantId: 'mer_A', customerId: 'cus_A' });

    const { Items } = await table.db.send(new ScanCommand({ TableName: table.tableName }));

    expect(JSON.stringify(Items)).not.toContain(token);
    expect(JSON.stringify(Items)).toContain(hashSessionToken(token));
  });
});

describe('the authorizer with session tokens', () => {
  it('lets a wallet token in as that one customer of that one merchant', async () => {
    const { token } = await store.create({ id: 'ptl_SCOPE', kind: 'portal', merchantId: 'mer_A', customerId: 'cus_A' });

    const result = await authorize(walletEvent(token));

    expect(result.context).toEqual({
      principal: 'portal_session',
      merchantId: 'mer_A',
      sessionId: 'ptl_SCOPE',
      customerId: 'cus_A',
    });
  });

  it('refuses a token after its 30 minutes', async () => {
    const { token } = await store.create({ id: 'chk_EXPIRES', kind: 'checkout', merchantId: 'mer_A', checkout: { amount: 100, currency: 'USD' } });
    const issuedAt = now;

    now = new Date(issuedAt.getTime() + SESSION_LIFETIME_SECONDS * 1000 - 1000);
    const justBefore = await authorize(walletEvent(token));
    now = new Date(issuedAt.getTime() + SESSION_LIFETIME_SECONDS * 1000);
    const expired = authorize(walletEvent(token));

    expect(justBefore.context?.principal).toBe('checkout_session');
    await expect(expired).rejects.toThrow(/^Unauthorized$/);
    now = issuedAt;
  });

  it('refuses a token once its session is ended, and ending it again answers the same', async () => {
    const { token } = await store.create({ id: 'csl_ENDED', kind: 'console', merchantId: 'mer_A' });

    const first = await store.end('mer_A', 'console', 'csl_ENDED');
    const again = await store.end('mer_A', 'console', 'csl_ENDED');

    await expect(authorize(walletEvent(token))).rejects.toThrow(/^Unauthorized$/);
    expect(again.endedAt).toBe(first.endedAt);
  });

  it('reports the time the session was ended at when two ends race, not the time the loser tried', async () => {
    await store.create({ id: 'csl_RACE', kind: 'console', merchantId: 'mer_A' });
    // Both ends look the session up before either writes: both see it not ended yet.
    let looked = 0;
    let bothLooked = (): void => undefined;
    const barrier = new Promise<void>((resolve) => (bothLooked = resolve));
    const lockstep = {
      send: async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        const result = await table.db.send(command);
        if (command instanceof QueryCommand) {
          looked += 1;
          if (looked === 2) bothLooked();
          await barrier;
        }
        return result;
      },
    } as unknown as DynamoDBDocumentClient;
    const at = (iso: string): SessionStore => new SessionStore(lockstep, table.tableName, () => new Date(iso));

    const [first, second] = await Promise.all([
      at('2030-01-01T10:00:01Z').end('mer_A', 'console', 'csl_RACE'),
      at('2030-01-01T10:00:02Z').end('mer_A', 'console', 'csl_RACE'),
    ]);

    expect(second.endedAt).toBe(first.endedAt);
  });

  it("lets no merchant end another merchant's session", async () => {
    const { token } = await store.create({ id: 'csl_OTHER', kind: 'console', merchantId: 'mer_A' });

    await expect(store.end('mer_B', 'console', 'csl_OTHER')).rejects.toThrow(/No such console session/);
    expect((await authorize(walletEvent(token))).context?.merchantId).toBe('mer_A');
  });

  it('refuses a token whose prefix names another kind than its session', async () => {
    const { token } = await store.create({ id: 'csl_PREFIX', kind: 'console', merchantId: 'mer_A' });
    const relabelled = `cs_${token.slice('cons_'.length)}`;

    await expect(authorize(walletEvent(relabelled))).rejects.toThrow(/^Unauthorized$/);
  });
});
