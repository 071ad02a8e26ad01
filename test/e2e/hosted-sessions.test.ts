/**
 * The hosted pages' API through the local runtime: each session token opens only its own routes, for its
 * own merchant and customer; an ended session is refused on every one of them; the pages are served with
 * their security headers; and no answer carries a card number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../lib/routes.ts';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway.ts';

let gateway: TestGateway;
let apiKey: string;

beforeAll(async () => {
  gateway = await startTestGateway({ runtime: { demoMerchant: false } });
  ({ apiKey } = await gateway.createMerchant('USD'));
});
afterAll(async () => gateway?.close());

function tokenOf(url: string): string {
  return new URL(url).hash.replace(/^#token=/, '');
}

async function open(kind: 'checkout' | 'portal' | 'console', body: Record<string, unknown>, key = apiKey): Promise<{ id: string; token: string; url: string }> {
  const created = await gateway.request('POST', `/${kind}_sessions`, { key, body });
  expect(created.status, created.text).toBe(201);
  return { id: created.body.id, token: tokenOf(created.body.url), url: created.body.url };
}

async function customerWithCard(number: string): Promise<{ customerId: string; paymentMethodId: string }> {
  const customer = await gateway.request('POST', '/customers', { key: apiKey, body: { name: 'Someone' } });
  const card = await gateway.request('POST', '/payment_methods', {
    key: apiKey,
    body: { customer_id: customer.body.customer_id, card_number: number, exp_month: 12, exp_year: 2033 },
  });
  expect(card.status, card.text).toBe(201);
  return { customerId: customer.body.customer_id, paymentMethodId: card.body.payment_method_id };
}

/** A concrete request for every session route of a kind, path parameters filled with plausible ids. */
function sessionRoutesOf(auth: string): { method: string; path: string; body?: unknown }[] {
  return routes
    .filter((route) => route.auth === auth)
    .map((route) => ({
      method: route.method,
      path: route.path.replace('{id}', 'pm_01ARZ3NDEKTSV4RRFFQ69G5FAV').replace('{transaction_id}', 'txn_01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      ...(route.method === 'POST' || route.method === 'PUT' ? { body: {} } : {}),
    }));
}

describe('session links', () => {
  it('put a 256-bit token in the fragment of a page URL on the same API', async () => {
    const session = await open('checkout', { amount: 1000, currency: 'USD' });

    expect(session.url).toMatch(new RegExp(`^${gateway.url}/pages/checkout#token=cs_[A-Za-z0-9_-]{43}$`));
    expect(session.id).toMatch(/^chk_/);
  });

  it('are refused on every session route once ended by the merchant', async () => {
    const { customerId } = await customerWithCard('4242424242424242');
    const sessions = {
      checkout_session: await open('checkout', { amount: 1000 }),
      portal_session: await open('portal', { customer_id: customerId }),
      console_session: await open('console', {}),
    };
    const kinds = { checkout_session: 'checkout', portal_session: 'portal', console_session: 'console' } as const;

    for (const [auth, session] of Object.entries(sessions)) {
      const ended = await gateway.request('DELETE', `/${kinds[auth as keyof typeof kinds]}_sessions/${session.id}`, { key: apiKey });
      expect(ended.status, ended.text).toBe(200);
      expect(sessionRoutesOf(auth).length, auth).toBeGreaterThanOrEqual(3);
      for (const route of sessionRoutesOf(auth)) {
        const answer = await gateway.request(route.method, route.path, { key: session.token, body: route.body });
        expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      }
    }
  });

  it('are refused once the page logs itself out', async () => {
    const session = await open('console', {});

    const out = await gateway.request('DELETE', '/console', { key: session.token });
    const after = await gateway.request('GET', '/console/transactions', { key: session.token });

    expect(out.status).toBe(200);
    expect(after.status).toBe(401);
  });

  it('open only their own kind of route, and a secret key opens none of them', async () => {
    const checkout = await open('checkout', { amount: 1000 });
    const consoleSession = await open('console', {});

    expect((await gateway.request('GET', '/transactions', { key: consoleSession.token })).status).toBe(403);
    expect((await gateway.request('GET', '/wallet', { key: checkout.token })).status).toBe(403);
    expect((await gateway.request('GET', '/console/transactions', { key: apiKey })).status).toBe(403);
    expect((await gateway.request('POST', '/checkout_sessions', { key: checkout.token, body: { amount: 5 } })).status).toBe(403);
  });
});

describe('a wallet session', () => {
  it("shows its own customer's cards only, and cannot touch another customer's", async () => {
    const mine = await customerWithCard('4242424242424242');
    const theirs = await customerWithCard('5555555555554444');
    const session = await open('portal', { customer_id: mine.customerId });

    const wallet = await gateway.request('GET', '/wallet', { key: session.token });
    const makeDefault = await gateway.request('PUT', '/wallet/default_payment_method', {
      key: session.token,
      body: { payment_method_id: theirs.paymentMethodId },
    });
    const remove = await gateway.request('DELETE', `/wallet/payment_methods/${theirs.paymentMethodId}`, { key: session.token });
    const theirCards = await gateway.request('GET', `/customers/${theirs.customerId}/payment_methods`, { key: apiKey });

    expect(wallet.body.customer_id).toBe(mine.customerId);
    expect(wallet.body.cards.map((card: { payment_method_id: string }) => card.payment_method_id)).toEqual([mine.paymentMethodId]);
    expect(makeDefault.status).toBe(404);
    expect(remove.status).toBe(404);
    expect(theirCards.body.map((card: { status: string }) => card.status)).toEqual(['attached']);
  });

  it("cannot be opened for another merchant's customer", async () => {
    const mine = await customerWithCard('4242424242424242');
    const other = await gateway.createMerchant('EUR');

    const refused = await gateway.request('POST', '/portal_sessions', { key: other.apiKey, body: { customer_id: mine.customerId } });

    expect(refused.status).toBe(404);
  });
});

describe('a checkout session', () => {
  it('pays once: a second payment while the first stands is refused, and no answer holds the number', async () => {
    const session = await open('checkout', { amount: 1234, currency: 'EUR' });
    const card = { card_number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2031, cvc: '123' };

    const first = await gateway.request('POST', '/checkout/pay', { key: session.token, body: card });
    const second = await gateway.request('POST', '/checkout/pay', { key: session.token, body: card });
    const view = await gateway.request('GET', '/checkout', { key: session.token });

    expect(first.status, first.text).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('checkout_already_paid');
    expect(view.body).toMatchObject({ amount: 1234, currency: 'EUR', currency_exponent: 2, payment: { transaction_id: first.body.transaction_id } });
    for (const answer of [first, second, view]) expect(answer.text).not.toContain('4242424242424242');
  });

  it("tells the page only that a card was declined, not the issuer's reason; the merchant still sees it", async () => {
    const session = await open('checkout', { amount: 1234 });
    const stolen = { card_number: '4000 0000 0000 9979', exp_month: 12, exp_year: 2031, cvc: '123' };

    const paid = await gateway.request('POST', '/checkout/pay', { key: session.token, body: stolen });
    const declined = await eventually(
      () => gateway.request('GET', '/checkout', { key: session.token }),
      (view) => view.body.payment?.status === 'declined',
    );
    const merchantView = await gateway.request('GET', `/payments/${paid.body.transaction_id}`, { key: apiKey });

    expect(paid.status, paid.text).toBe(201);
    expect(declined.body.payment.decline_code).toBe('generic_decline');
    expect(declined.text).not.toContain('stolen');
    expect(merchantView.body.decline_code).toBe('stolen_card');
  });

  it('refuses bad card data with 402 before anything is charged', async () => {
    const session = await open('checkout', { amount: 1234 });

    const bad = await gateway.request('POST', '/checkout/pay', {
      key: session.token,
      body: { card_number: '4242 4242 4242 4241', exp_month: 12, exp_year: 2031, cvc: '123' },
    });
    const view = await gateway.request('GET', '/checkout', { key: session.token });

    expect(bad.status).toBe(402);
    expect(bad.body.code).toBe('invalid_number');
    expect(view.body.payment).toBeNull();
  });
});

describe('a console session', () => {
  it("shows a transaction's timeline and says whether it is whole", async () => {
    const session = await open('console', {});
    const paid = await gateway.request('POST', '/payments', {
      key: apiKey,
      body: { amount: 700, card_number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2031, cvc: '123' },
    });

    // Events are recorded by the fan-out, within about a second of the change.
    const detail = await eventually(
      () => gateway.request('GET', `/console/transactions/${paid.body.transaction_id}`, { key: session.token }),
      (read) => read.status !== 200 || (read.body.timeline as unknown[]).length > 0,
      { timeoutMs: 15_000 },
    );

    expect(detail.status, detail.text).toBe(200);
    expect(detail.body.timeline_complete).toBe(true);
    expect(detail.body.timeline[0]?.type).toBe('payment.pending');
  });
});

describe('the pages', () => {
  it('are served with a strict Content-Security-Policy and no-sniff, no-referrer headers', async () => {
    for (const path of ['/pages/checkout', '/pages/wallet', '/pages/console', '/pages/assets/checkout.js', '/pages/assets/pages.css']) {
      const response = await fetch(`${gateway.url}${path}`);

      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('have no inline script or style', async () => {
    for (const path of ['/pages/checkout', '/pages/wallet', '/pages/console']) {
      const html = await (await fetch(`${gateway.url}${path}`)).text();

      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html, path).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
    }
  });

  it('serve no file outside their assets', async () => {
    const answers = await Promise.all(
      ['/pages/assets/..%2Fcheckout.html', '/pages/assets/card.d.ts', '/pages/assets/nope.js'].map((path) => fetch(`${gateway.url}${path}`)),
    );

    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404]);
  });
});
