/**
 * The hosted pages' routes, called as API Gateway calls them after its authorizer said yes. That answer is
 * cached for up to 60 s, so a session ended or expired since then still reaches the handlers: each route
 * must read the session again and refuse it with 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { EventRepository } from '../../functions/adapters/event-repository.ts';
import { MerchantStore } from '../../functions/adapters/merchant-store.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { SessionStore } from '../../functions/adapters/session-store.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import type { CardFingerprinter, CardVault } from '../../functions/core/vault.ts';
import { makeCheckoutHandler } from '../../functions/hosted/checkout-handler.ts';
import { makeConsoleHandler } from '../../functions/hosted/console-handler.ts';
import { SESSION_LIFETIME_SECONDS, type SessionKind } from '../../functions/hosted/session.ts';
import { makeWalletHandler } from '../../functions/hosted/wallet-handler.ts';
import { routes } from '../../lib/routes.ts';
import type { SessionAuth } from '../../lib/topology.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';
import { apiEvent, lambdaContext } from '../unit/http/api-event.ts';
import { memoryPipeline } from '../unit/http/memory-idempotency.ts';

type Handler = (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

const MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E';
const CUSTOMER = 'cus_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E';
const kindOf: Readonly<Record<SessionAuth, SessionKind>> = { checkout_session: 'checkout', portal_session: 'portal', console_session: 'console' };

let table: TestTable;
let handlers: Record<'checkout' | 'wallet' | 'console', Handler>;

/** Every route here refuses the session before it touches a card: these fail the test if one does not. */
const noVault: CardVault = {
  seal: () => Promise.reject(new Error('a refused session sealed a card')),
  open: () => Promise.reject(new Error('a refused session opened a card')),
};
const noFingerprints: CardFingerprinter = { fingerprint: () => Promise.reject(new Error('a refused session fingerprinted a card')) };

beforeAll(async () => {
  table = await startTestTable('hosted-routes-test');
  const { db, tableName } = table;
  const outbox = new OutboxStore(db, tableName, new RecordingQueueSender());
  const sessions = new SessionStore(db, tableName);
  const transactions = new TransactionRepository(db, tableName, outbox);
  const customers = new CustomerRepository(db, tableName, outbox);
  const now = (): Date => new Date();
  const cards = { vault: noVault, fingerprints: noFingerprints };
  handlers = {
    checkout: makeCheckoutHandler({
      sessions,
      transactions,
      customers,
      orders: new OrderRepository(db, tableName, outbox),
      merchants: new MerchantStore(db, tableName),
      ...cards,
      now,
      ...memoryPipeline(),
    }),
    wallet: makeWalletHandler({ sessions, transactions, customers, ...cards, now, ...memoryPipeline() }),
    console: makeConsoleHandler({ sessions, transactions, events: new EventRepository(db, tableName), now, ...memoryPipeline() }),
  };
});
afterAll(async () => table?.close());

async function openSession(auth: SessionAuth, id: string, clock: () => Date = () => new Date()): Promise<string> {
  const store = new SessionStore(table.db, table.tableName, clock);
  const kind = kindOf[auth];
  await store.create({
    id,
    kind,
    merchantId: MERCHANT,
    ...(kind === 'portal' ? { customerId: CUSTOMER } : {}),
    ...(kind === 'checkout' ? { checkout: { amount: 1000, currency: 'USD' } } : {}),
  });
  return id;
}

/** Every route of a session kind, as the authorizer's cached answer lets it through. */
function callsOf(auth: SessionAuth, sessionId: string): { name: string; call: () => Promise<APIGatewayProxyResult> }[] {
  return routes
    .filter((route) => route.auth === auth)
    .map((route) => {
      const id = route.path.includes('{transaction_id}') ? 'txn_01ARZ3NDEKTSV4RRFFQ69G5FAV' : 'pm_01ARZ3NDEKTSV4RRFFQ69G5FAV';
      const parameter = /\{(\w+)\}/.exec(route.path)?.[1];
      const bodies: Record<string, unknown> = {
        'POST /checkout/pay': { card_number: '4242424242424242', exp_month: 12, exp_year: 2031, cvc: '123' },
        'POST /wallet/payment_methods': { card_number: '4242424242424242', exp_month: 12, exp_year: 2031, cvc: '123' },
        'PUT /wallet/default_payment_method': { payment_method_id: id },
      };
      const body = bodies[`${route.method} ${route.path}`];
      const event = apiEvent(route.method, route.path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(parameter === undefined ? {} : { pathParameters: { [parameter]: id } }),
        path: route.path.replace(/\{\w+\}/, id),
      });
      const authorizer = { principal: auth, merchantId: MERCHANT, sessionId, ...(auth === 'portal_session' ? { customerId: CUSTOMER } : {}) };
      const handler = handlers[route.function as keyof typeof handlers];
      return {
        name: `${route.method} ${route.path}`,
        call: () => handler({ ...event, requestContext: { ...event.requestContext, authorizer } }, lambdaContext),
      };
    });
}

const sessionAuths: readonly SessionAuth[] = ['checkout_session', 'portal_session', 'console_session'];

describe('a session ended after the authorizer let it in', () => {
  it.each(sessionAuths)('is refused 401 on every %s route', async (auth) => {
    const sessionId = await openSession(auth, `${kindOf[auth]}_ENDED`);
    await new SessionStore(table.db, table.tableName).end(MERCHANT, kindOf[auth], sessionId);

    const answers = [];
    for (const { name, call } of callsOf(auth, sessionId)) answers.push({ name, status: (await call()).statusCode });

    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers).toEqual(answers.map(({ name }) => ({ name, status: 401 })));
  });
});

describe('a session expired after the authorizer let it in', () => {
  it.each(sessionAuths)('is refused 401 on every %s route', async (auth) => {
    const issuedLongAgo = new Date(Date.now() - (SESSION_LIFETIME_SECONDS + 60) * 1000);
    const sessionId = await openSession(auth, `${kindOf[auth]}_EXPIRED`, () => issuedLongAgo);

    const answers = [];
    for (const { name, call } of callsOf(auth, sessionId)) answers.push({ name, status: (await call()).statusCode });

    expect(answers).toEqual(answers.map(({ name }) => ({ name, status: 401 })));
  });
});

describe('an active session, for comparison', () => {
  it('is let in on the console route', async () => {
    const sessionId = await openSession('console_session', 'console_ACTIVE');

    const [list] = callsOf('console_session', sessionId).filter(({ name }) => name === 'GET /console/transactions');

    expect((await list?.call())?.statusCode).toBe(200);
  });
});
