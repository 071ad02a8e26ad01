import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type HttpResult, type TestGateway } from '../support/gateway.ts';

const FUTURE = '2030-12-31';

describe('card payments over HTTP on the local runtime', () => {
  let gateway: TestGateway;
  let merchant: { merchantId: string; apiKey: string };
  let other: { merchantId: string; apiKey: string };

  beforeAll(async () => {
    gateway = await startTestGateway();
    merchant = await gateway.createMerchant('USD');
    other = await gateway.createMerchant('EUR');
  });
  afterAll(() => gateway.close());

  const pay = (body: Record<string, unknown>, options: { key?: string; idempotencyKey?: string } = {}) =>
    gateway.request('POST', '/payments', {
      key: options.key ?? merchant.apiKey,
      body,
      headers: options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey },
    });
  const get = (id: string, key = merchant.apiKey) => gateway.request('GET', `/payments/${id}`, { key });
  const settleOn = (id: string, statuses: string[], key = merchant.apiKey) =>
    eventually(() => get(id, key), (r: HttpResult) => statuses.includes(r.body?.status), { timeoutMs: 45_000 });
  const card = (number: string, extra: Record<string, unknown> = {}) => ({
    amount: 1050,
    currency: 'USD',
    card_number: number,
    expiration_date: FUTURE,
    ...extra,
  });

  it('accepts the seed form as written and answers 201 pending at once', async () => {
    const created = await pay({ amount: 100, card_number: '4242-4242-4242-4242', expiration_date: FUTURE, currency: 'EUR' });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', amount: 100, currency: 'EUR' });
    expect(created.body.transaction_id).toMatch(/^txn_[0-9A-Z]{26}$/);
    expect(created.headers.get('request-id')).toBeTruthy();
    expect(created.text).not.toContain('4242424242424242');
    expect(created.body.card).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 });
  });

  it.each([
    ['4242 4242 4242 4242', 'visa', '123'],
    ['5555 5555 5555 4444', 'mastercard', '123'],
    ['3782 822463 10005', 'amex', '1234'],
    ['6011 1111 1111 1117', 'discover', '123'],
  ])('%s (%s) is approved, captured and settled', async (number, brand, cvc) => {
    const created = await pay(card(number, { cvc }));
    expect(created.status).toBe(201);

    const settled = await settleOn(created.body.transaction_id, ['settled', 'declined', 'failed']);

    expect(settled.body).toMatchObject({ status: 'settled', amount_captured: 1050, card: { brand } });
  });

  it.each([
    ['4000 0000 0000 0002', 'generic_decline'],
    ['4000 0000 0000 9995', 'insufficient_funds'],
    ['4000 0000 0000 9987', 'lost_card'],
    ['4000 0000 0000 9979', 'stolen_card'],
    ['4000 0000 0000 0069', 'expired_card'],
    ['4000 0000 0000 0127', 'incorrect_cvc'],
  ])('%s is declined with %s', async (number, declineCode) => {
    const created = await pay(card(number));

    const final = await settleOn(created.body.transaction_id, ['declined', 'authorized', 'captured', 'failed']);

    expect(final.body).toMatchObject({ status: 'declined', decline_code: declineCode, amount_captured: 0 });
  });

  it('4000 0000 0000 0119 keeps failing at the processor and ends failed after retries', async () => {
    const created = await pay(card('4000 0000 0000 0119'));

    const final = await settleOn(created.body.transaction_id, ['failed', 'declined', 'captured']);

    expect(final.body).toMatchObject({ status: 'failed', failure_code: 'processing_error' });
  });

  it('capture: false stops at authorized; a partial capture releases the rest; refunds add up to refunded', async () => {
    const created = await pay(card('4242424242424242', { amount: 5000, capture: false }));
    const id = created.body.transaction_id;
    await settleOn(id, ['authorized']);

    const tooMuch = await gateway.request('POST', `/payments/${id}/capture`, { key: merchant.apiKey, body: { amount: 5001 } });
    const captured = await gateway.request('POST', `/payments/${id}/capture`, { key: merchant.apiKey, body: { amount: 3000 } });
    const partial = await gateway.request('POST', `/payments/${id}/refunds`, { key: merchant.apiKey, body: { amount: 1000 } });
    const overRefund = await gateway.request('POST', `/payments/${id}/refunds`, { key: merchant.apiKey, body: { amount: 2001 } });
    const rest = await gateway.request('POST', `/payments/${id}/refunds`, { key: merchant.apiKey, body: {} });

    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'captured', amount: 5000, amount_captured: 3000 });
    expect(partial.status).toBe(201);
    expect(partial.body.refund_id).toMatch(/^re_/);
    expect(partial.body).toMatchObject({ amount: 1000, transaction: { amount_refunded: 1000 } });
    expect(overRefund.status).toBe(400);
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ amount: 2000, transaction: { status: 'refunded', amount_refunded: 3000 } });
    const final = await get(id);
    expect(final.body.refunds).toHaveLength(2);
  });

  it('cancels an authorized payment, and refuses to cancel a captured one', async () => {
    const authorized = await pay(card('4242424242424242', { capture: false }));
    await settleOn(authorized.body.transaction_id, ['authorized']);
    const auto = await pay(card('4242424242424242'));
    await settleOn(auto.body.transaction_id, ['captured', 'settled']);

    const canceled = await gateway.request('POST', `/payments/${authorized.body.transaction_id}/cancel`, { key: merchant.apiKey });
    const refused = await gateway.request('POST', `/payments/${auto.body.transaction_id}/cancel`, { key: merchant.apiKey });

    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('transaction_state_invalid');
  });

  it('keeps exact minor units for JPY and KWD', async () => {
    const yen = await pay(card('4242424242424242', { amount: 500, currency: 'JPY' }));
    const dinar = await pay(card('4242424242424242', { amount: 1500, currency: 'KWD' }));

    const yenFinal = await settleOn(yen.body.transaction_id, ['captured', 'settled']);
    const dinarFinal = await settleOn(dinar.body.transaction_id, ['captured', 'settled']);

    expect(yenFinal.body).toMatchObject({ amount: 500, currency: 'JPY', amount_captured: 500 });
    expect(dinarFinal.body).toMatchObject({ amount: 1500, currency: 'KWD', amount_captured: 1500 });
  });

  it('defaults the currency to the merchant default', async () => {
    const created = await pay({ amount: 700, card_number: '4242424242424242', expiration_date: FUTURE }, { key: other.apiKey });

    expect(created.body).toMatchObject({ currency: 'EUR', amount: 700 });
  });

  it.each([
    [{ card_number: '4242 4242 4242 4241' }, 402, 'invalid_number', 'card_number'],
    [{ card_number: '4242 4242 4242' }, 402, 'invalid_number', 'card_number'],
    [{ expiration_date: '2020-01-31' }, 402, 'expired_card', 'expiration_date'],
    [{ expiration_date: '2030-13-01' }, 402, 'invalid_expiry_date', 'expiration_date'],
    [{ cvc: '12' }, 402, 'invalid_cvc', 'cvc'],
    [{ card_number: '3782 822463 10005', cvc: '123' }, 402, 'invalid_cvc', 'cvc'],
    [{ currency: 'XYZ' }, 400, 'invalid_currency', 'currency'],
    [{ amount: 0 }, 400, 'invalid_amount', 'amount'],
    [{ amount: 10.5 }, 400, 'parameter_invalid', 'amount'],
    [{ amount: '100' }, 400, 'parameter_invalid', 'amount'],
  ])('refuses %j with %i %s and creates nothing', async (override, status, code, param) => {
    const before = await gateway.request('GET', '/transactions?limit=100', { key: merchant.apiKey });

    const refused = await pay(card('4242424242424242', override));

    expect(refused.status).toBe(status);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code, param, status });
    expect(refused.text).not.toMatch(/4242 ?4242 ?4242/);
    const after = await gateway.request('GET', '/transactions?limit=100', { key: merchant.apiKey });
    expect(after.body.length).toBe(before.body.length);
  });

  it('50 concurrent POSTs with one Idempotency-Key create one transaction and 50 identical bodies', async () => {
    const before = await gateway.request('GET', '/transactions?limit=100', { key: merchant.apiKey });
    const body = card('4242424242424242', { amount: 4321 });

    const responses = await Promise.all(Array.from({ length: 50 }, () => pay(body, { idempotencyKey: 'burst-1' })));

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(responses.map((r) => r.text)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
    const after = await gateway.request('GET', '/transactions?limit=100', { key: merchant.apiKey });
    expect(after.body.length).toBe(before.body.length + 1);
  });

  it('refuses the same Idempotency-Key with a different body with 422', async () => {
    await pay(card('4242424242424242', { amount: 100 }), { idempotencyKey: 'changed-body' });

    const reused = await pay(card('4242424242424242', { amount: 200 }), { idempotencyKey: 'changed-body' });

    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it("answers 404 for another merchant's transaction, on every route, exactly as for a missing one", async () => {
    const created = await pay(card('4242424242424242', { capture: false }));
    const id = created.body.transaction_id;
    await settleOn(id, ['authorized']);
    const missing = 'txn_01ARZ3NDEKTSV4RRFFQ69G5FAV';

    const attempts = await Promise.all([
      get(id, other.apiKey),
      gateway.request('POST', `/payments/${id}/capture`, { key: other.apiKey, body: {} }),
      gateway.request('POST', `/payments/${id}/cancel`, { key: other.apiKey }),
      gateway.request('POST', `/payments/${id}/refunds`, { key: other.apiKey, body: {} }),
    ]);
    const absent = await get(missing);
    const otherList = await gateway.request('GET', '/transactions?limit=100', { key: other.apiKey });
    const foreignFilter = await gateway.request('GET', `/transactions?merchant_id=${merchant.merchantId}`, { key: other.apiKey });

    for (const attempt of attempts) {
      expect(attempt.status).toBe(404);
      expect(attempt.body.code).toBe('resource_missing');
    }
    expect(absent.status).toBe(404);
    expect(otherList.body.map((t: { transaction_id: string }) => t.transaction_id)).not.toContain(id);
    expect(foreignFilter.status).toBe(404);
    expect((await get(id)).body.status).toBe('authorized');
  });

  it('lists transactions newest first with Link pagination and filters', async () => {
    const fresh = await gateway.createMerchant('USD');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await pay(card('4242424242424242', { amount: 100 + i, capture: false }), { key: fresh.apiKey });
      ids.push(created.body.transaction_id);
    }
    for (const id of ids) await settleOn(id, ['authorized'], fresh.apiKey);

    const first = await gateway.request('GET', '/transactions?limit=2', { key: fresh.apiKey });
    const next = first.headers.get('link')?.match(/<([^>]+)>; rel="next"/)?.[1] ?? '';
    const second = await gateway.request('GET', new URL(next, gateway.url).pathname + new URL(next, gateway.url).search, {
      key: fresh.apiKey,
    });
    const authorizedOnly = await gateway.request('GET', '/transactions?status=authorized&limit=100', { key: fresh.apiKey });
    const pendingOnly = await gateway.request('GET', '/transactions?status=pending&limit=100', { key: fresh.apiKey });
    const mine = await gateway.request('GET', `/transactions?merchant_id=${fresh.merchantId}&limit=100`, { key: fresh.apiKey });

    expect(first.status).toBe(200);
    expect(first.body.map((t: { transaction_id: string }) => t.transaction_id)).toEqual([ids[4], ids[3]]);
    expect(first.body[0]).toMatchObject({ amount: 104, currency: 'USD', status: expect.any(String), date: expect.any(String) });
    expect(second.body.map((t: { transaction_id: string }) => t.transaction_id)).toEqual([ids[2], ids[1]]);
    expect(authorizedOnly.body).toHaveLength(5);
    expect(pendingOnly.body).toHaveLength(0);
    expect(mine.body).toHaveLength(5);
  });

  it('answers 400 for a bad list filter and 401 without a key', async () => {
    const badLimit = await gateway.request('GET', '/transactions?limit=1000', { key: merchant.apiKey });
    const badStatus = await gateway.request('GET', '/transactions?status=lost', { key: merchant.apiKey });
    const anonymous = await gateway.request('GET', '/transactions');

    expect(badLimit.status).toBe(400);
    expect(badLimit.body.param).toBe('limit');
    expect(badStatus.status).toBe(400);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
  });
});
