import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type HttpResult, type TestGateway } from '../support/gateway.ts';

const FUTURE = '2030-12-31';

describe('customers, saved cards and orders over HTTP on the local runtime', () => {
  let gateway: TestGateway;
  let merchant: { merchantId: string; apiKey: string };
  let other: { merchantId: string; apiKey: string };

  beforeAll(async () => {
    gateway = await startTestGateway();
    merchant = await gateway.createMerchant('USD');
    other = await gateway.createMerchant('USD');
  });
  afterAll(() => gateway.close());

  const call = (method: string, path: string, body?: unknown, key = merchant.apiKey) =>
    gateway.request(method, path, { key, ...(body === undefined ? {} : { body }) });
  const newCustomer = async (key = merchant.apiKey): Promise<string> => {
    const created = await call('POST', '/customers', { email: 'ada@example.com', name: 'Ada' }, key);
    expect(created.status).toBe(201);
    return created.body.customer_id;
  };
  const saveCard = async (customerId: string, number: string, key = merchant.apiKey): Promise<HttpResult> => {
    const saved = await call('POST', '/payment_methods', { customer_id: customerId, card_number: number, expiration_date: FUTURE }, key);
    expect(saved.status).toBe(201);
    return saved;
  };
  const listCards = (customerId: string, key = merchant.apiKey) => call('GET', `/customers/${customerId}/payment_methods`, undefined, key);
  const pay = (body: Record<string, unknown>, key = merchant.apiKey) => call('POST', '/payments', { amount: 1050, currency: 'USD', ...body }, key);
  const finalState = (id: string, statuses = ['captured', 'settled', 'declined', 'failed']) =>
    eventually(() => call('GET', `/payments/${id}`), (r: HttpResult) => statuses.includes(r.body?.status), { timeoutMs: 30_000 });
  /** The merchant's event types once `expected` are all listed: the fan-out records events within about a second. */
  const eventTypes = (expected: readonly string[]): Promise<string[]> =>
    eventually(
      async () => (await call('GET', '/events?limit=100')).body.map((event: { type: string }) => event.type) as string[],
      (types) => expected.every((type) => types.includes(type)),
      { timeoutMs: 15_000 },
    );

  it('saves two cards, switches the default, charges it by customer alone, then detaches it as documented', async () => {
    const customerId = await newCustomer();
    const visa = (await saveCard(customerId, '4242 4242 4242 4242')).body;
    const mastercard = (await saveCard(customerId, '5555-5555-5555-4444')).body;

    const firstList = await listCards(customerId);
    const switched = await call('PUT', '/payment_methods', { customer_id: customerId, payment_method_id: mastercard.payment_method_id });
    const charged = await pay({ customer_id: customerId });
    const chargedFinal = await finalState(charged.body.transaction_id);
    const detached = await call('DELETE', `/payment_methods/${mastercard.payment_method_id}`);
    const afterDetach = await call('GET', `/customers/${customerId}`);
    const next = await pay({ customer_id: customerId });
    const detachedCharge = await pay({ payment_method_id: mastercard.payment_method_id });
    await call('DELETE', `/payment_methods/${visa.payment_method_id}`);
    const noDefault = await pay({ customer_id: customerId });

    expect(visa).toMatchObject({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, status: 'attached', is_default: true });
    expect(visa.fingerprint).toMatch(/^fp_/);
    expect(JSON.stringify([visa, mastercard, firstList.body])).not.toContain('4242424242424242');
    expect(firstList.body.map((pm: { payment_method_id: string; is_default: boolean }) => [pm.payment_method_id, pm.is_default])).toEqual([
      [mastercard.payment_method_id, false],
      [visa.payment_method_id, true],
    ]);
    expect(switched.status).toBe(200);
    expect(switched.body.default_payment_method_id).toBe(mastercard.payment_method_id);
    expect(charged.status).toBe(201);
    expect(chargedFinal.body).toMatchObject({ status: expect.stringMatching(/captured|settled/), customer_id: customerId, card: { last4: '4444' } });
    expect(detached.status).toBe(200);
    expect(detached.body).toMatchObject({ status: 'detached', is_default: false });
    // Detaching the default makes the most recently attached remaining card the default.
    expect(afterDetach.body.default_payment_method_id).toBe(visa.payment_method_id);
    expect(next.status).toBe(201);
    expect(next.body.card).toMatchObject({ last4: '4242', fingerprint: visa.fingerprint });
    expect((await finalState(next.body.transaction_id)).body.status).toMatch(/captured|settled/);
    expect(detachedCharge.status).toBe(400);
    expect(detachedCharge.body).toMatchObject({ code: 'payment_method_detached', param: 'payment_method_id' });
    expect(noDefault.status).toBe(400);
    expect(noDefault.body).toMatchObject({ code: 'no_default_payment_method', param: 'customer_id' });
    const expectedTypes = ['customer.created', 'payment_method.attached', 'customer.default_payment_method_updated', 'payment_method.detached'];
    expect(await eventTypes(expectedTypes)).toEqual(expect.arrayContaining(expectedTypes));
  });

  it('gives the same card saved twice the same fingerprint, and another card another', async () => {
    const customerId = await newCustomer();

    const first = (await saveCard(customerId, '4242424242424242')).body;
    const again = (await saveCard(customerId, '4242 4242 4242 4242')).body;
    const different = (await saveCard(customerId, '5555555555554444')).body;

    expect(again.payment_method_id).not.toBe(first.payment_method_id);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(different.fingerprint).not.toBe(first.fingerprint);
  });

  it('two concurrent PUT /payment_methods for one customer leave one of the two the default, with one event per real change', async () => {
    const customerId = await newCustomer();
    const a = (await saveCard(customerId, '4242424242424242')).body.payment_method_id;
    const b = (await saveCard(customerId, '5555555555554444')).body.payment_method_id;
    const c = (await saveCard(customerId, '378282246310005')).body.payment_method_id;
    // The first card saved became the default: one event.
    let realChanges = 1;
    let previous: string = a;

    for (const [x, y] of [[b, c], [c, a], [a, b], [b, c]] as const) {
      const answers = await Promise.all([
        call('PUT', '/payment_methods', { customer_id: customerId, payment_method_id: x }),
        call('PUT', '/payment_methods', { customer_id: customerId, payment_method_id: y }),
      ]);
      const cards = (await listCards(customerId)).body as { payment_method_id: string; is_default: boolean }[];
      const customer = await call('GET', `/customers/${customerId}`);

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      const defaults = cards.filter((card) => card.is_default).map((card) => card.payment_method_id);
      expect(defaults).toHaveLength(1);
      expect([x, y]).toContain(defaults[0]);
      expect(customer.body.default_payment_method_id).toBe(defaults[0]);
      // The writes serialize: the winner wrote last, the other first. That first one changed the default unless
      // it was the default already; the last one always did (x and y differ).
      const last = String(defaults[0]);
      const first = last === x ? y : x;
      realChanges += (first === previous ? 0 : 1) + 1;
      previous = last;
    }
    const updatesFor = async () =>
      ((await call('GET', '/events?type=customer.default_payment_method_updated&limit=100')).body as { data: { customer_id: string } }[]).filter(
        (event) => event.data.customer_id === customerId,
      );
    await eventually(updatesFor, (events) => events.length >= realChanges, { timeoutMs: 15_000 });
    // Once the fan-out, which records the events, has nothing left to take, nothing more arrives: exactly one
    // event per real change.
    await eventually(
      async () => gateway.stats().queues.webhookFanout,
      (depth) => depth !== undefined && depth.visible + depth.inFlight + depth.delayed === 0,
      { timeoutMs: 15_000 },
    );
    expect(await updatesFor()).toHaveLength(realChanges);
  });

  it('two concurrent payments for one order: one is captured and pays the order, the other is refused', async () => {
    const order = await call('POST', '/orders', { amount: 1050, currency: 'USD' });
    const orderId = order.body.order_id;
    const card = { card_number: '4242424242424242', expiration_date: FUTURE, order_id: orderId };

    const answers = await Promise.all([pay(card), pay(card)]);
    const accepted = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    const captured = await finalState(accepted[0]?.body.transaction_id);
    const paid = await eventually(() => call('GET', `/orders/${orderId}`), (r: HttpResult) => r.body.status === 'paid');
    const afterPaid = await pay(card);

    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'open', amount: 1050, currency: 'USD', transaction_id: null });
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.status).toBe(409);
    expect(refused[0]?.body).toMatchObject({ code: 'order_payment_in_progress', param: 'order_id' });
    expect(captured.body).toMatchObject({ status: expect.stringMatching(/captured|settled/), order_id: orderId });
    expect(paid.body).toMatchObject({ status: 'paid', transaction_id: accepted[0]?.body.transaction_id });
    expect(paid.body.paid_at).toEqual(expect.any(String));
    expect(afterPaid.status).toBe(409);
    expect(afterPaid.body.code).toBe('order_already_paid');
    expect(await eventTypes(['order.paid'])).toContain('order.paid');
    const forOrder = (await call('GET', '/transactions?limit=100')).body.filter((t: { order_id: string }) => t.order_id === orderId);
    expect(forOrder).toHaveLength(1);
  });

  it('refuses a partial capture of a payment for an order, and pays the order with the whole capture', async () => {
    const orderId = (await call('POST', '/orders', { amount: 1050 })).body.order_id;
    const created = await pay({ card_number: '4242424242424242', expiration_date: FUTURE, order_id: orderId, capture: false });
    const id = created.body.transaction_id;
    await finalState(id, ['authorized', 'declined', 'failed']);

    const partial = await call('POST', `/payments/${id}/capture`, { amount: 1 });
    const whole = await call('POST', `/payments/${id}/capture`, {});
    const order = await call('GET', `/orders/${orderId}`);

    expect(partial.status).toBe(400);
    expect(partial.body).toMatchObject({ code: 'partial_capture_of_order', param: 'amount' });
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ status: 'captured', amount_captured: 1050 });
    expect(order.body).toMatchObject({ status: 'paid', transaction_id: id });
  });

  it('lets an order be paid again after its payment is declined, and refuses a payment that does not match it', async () => {
    const order = (await call('POST', '/orders', { amount: 2000 })).body;

    const wrongAmount = await pay({ card_number: '4242424242424242', expiration_date: FUTURE, order_id: order.order_id });
    const wrongCurrency = await pay({ amount: 2000, currency: 'EUR', card_number: '4242424242424242', expiration_date: FUTURE, order_id: order.order_id });
    const declined = await pay({ amount: 2000, card_number: '4000000000000002', expiration_date: FUTURE, order_id: order.order_id });
    await finalState(declined.body.transaction_id);
    const retried = await pay({ amount: 2000, card_number: '4242424242424242', expiration_date: FUTURE, order_id: order.order_id });
    await finalState(retried.body.transaction_id);
    const paid = await eventually(() => call('GET', `/orders/${order.order_id}`), (r: HttpResult) => r.body.status === 'paid');

    expect(order).toMatchObject({ currency: 'USD', status: 'open' });
    expect(wrongAmount.status).toBe(400);
    expect(wrongAmount.body).toMatchObject({ code: 'order_amount_mismatch', param: 'amount' });
    expect(wrongCurrency.status).toBe(400);
    expect(wrongCurrency.body).toMatchObject({ code: 'order_currency_mismatch', param: 'currency' });
    expect(declined.status).toBe(201);
    expect(retried.status).toBe(201);
    expect(paid.body.transaction_id).toBe(retried.body.transaction_id);
  });

  it("answers 404 for another merchant's customers, cards and orders, exactly as for missing ones", async () => {
    const customerId = await newCustomer();
    const card = (await saveCard(customerId, '4242424242424242')).body.payment_method_id;
    const orderId = (await call('POST', '/orders', { amount: 1050, customer_id: customerId })).body.order_id;
    const intruder = other.apiKey;

    const attempts = await Promise.all([
      call('GET', `/customers/${customerId}`, undefined, intruder),
      call('GET', `/customers/${customerId}/payment_methods`, undefined, intruder),
      call('POST', '/payment_methods', { customer_id: customerId, card_number: '4242424242424242', expiration_date: FUTURE }, intruder),
      call('PUT', '/payment_methods', { customer_id: customerId, payment_method_id: card }, intruder),
      call('DELETE', `/payment_methods/${card}`, undefined, intruder),
      call('GET', `/orders/${orderId}`, undefined, intruder),
      call('POST', '/orders', { amount: 100, customer_id: customerId }, intruder),
      pay({ payment_method_id: card }, intruder),
      pay({ customer_id: customerId }, intruder),
      pay({ card_number: '4242424242424242', expiration_date: FUTURE, order_id: orderId }, intruder),
    ]);
    const missing = await call('GET', '/customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV');

    for (const attempt of attempts) {
      expect(attempt.status, attempt.text).toBe(404);
      expect(attempt.body.code).toBe('resource_missing');
    }
    expect(missing.status).toBe(404);
    const mine = await listCards(customerId);
    expect(mine.body.map((pm: { payment_method_id: string; status: string }) => [pm.payment_method_id, pm.status])).toEqual([[card, 'attached']]);
    expect((await call('GET', `/orders/${orderId}`)).body.status).toBe('open');
  });

  it('refuses a saved card with a CVC or an expiry, and a card typed in with a payment_method_id', async () => {
    const customerId = await newCustomer();
    const card = (await saveCard(customerId, '4242424242424242')).body.payment_method_id;

    const withCvc = await pay({ payment_method_id: card, cvc: '123' });
    const both = await pay({ payment_method_id: card, card_number: '4242424242424242', expiration_date: FUTURE });
    const nothing = await pay({});

    expect(withCvc.status).toBe(400);
    expect(withCvc.body).toMatchObject({ code: 'parameter_invalid', param: 'cvc' });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ code: 'parameter_invalid', param: 'payment_method_id' });
    expect(nothing.status).toBe(400);
    expect(nothing.body).toMatchObject({ code: 'parameter_missing', param: 'card_number' });
  });
});
