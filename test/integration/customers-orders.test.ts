import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KmsCardVault } from '../../functions/adapters/card-vault.ts';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { HmacCardFingerprinter } from '../../functions/adapters/fingerprint.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { newId } from '../../functions/core/ids.ts';
import type { AuthorizationRequest, CardProcessor } from '../../functions/core/processor.ts';
import type { CreatePaymentBody } from '../../functions/contract/payments.ts';
import { createCustomer, detachPaymentMethod, savePaymentMethod, setDefaultPaymentMethod } from '../../functions/customers/customers.ts';
import type { Customers } from '../../functions/customers/ports.ts';
import type { Orders } from '../../functions/orders/ports.ts';
import { claimOrderForPayment, createOrder } from '../../functions/orders/orders.ts';
import { authorizePayment } from '../../functions/payments/authorize-payment.ts';
import { capturePayment, settlePayment } from '../../functions/payments/change-payment.ts';
import { createPayment } from '../../functions/payments/create-payment.ts';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint } from '../../lib/local/kms-endpoint.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';

describe('customers, saved cards and orders on the embedded DynamoDB and KMS', () => {
  let table: TestTable;
  let kms: Awaited<ReturnType<typeof startKmsEndpoint>>;
  let customers: CustomerRepository;
  let orders: OrderRepository;
  let transactions: TransactionRepository;
  let queue: RecordingQueueSender;
  let vault: KmsCardVault;
  let fingerprints: HmacCardFingerprinter;
  let processorCalls: AuthorizationRequest[];
  const processor: CardProcessor = {
    authorize: async (request) => {
      processorCalls.push(request);
      return { outcome: 'approved', authorizationCode: 'A1' };
    },
  };
  const today = new Date('2026-01-15T10:00:00Z');
  const now = () => today;

  beforeAll(async () => {
    table = await startTestTable();
    kms = await startKmsEndpoint({});
    const kmsClient = new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials });
    queue = new RecordingQueueSender();
    const outbox = new OutboxStore(table.db, table.tableName, queue);
    customers = new CustomerRepository(table.db, table.tableName, outbox);
    orders = new OrderRepository(table.db, table.tableName, outbox);
    transactions = new TransactionRepository(table.db, table.tableName, outbox);
    vault = new KmsCardVault({ kms: kmsClient, keyId: kms.keyId, db: table.db, tableName: table.tableName });
    fingerprints = new HmacCardFingerprinter({ db: table.db, tableName: table.tableName, kms: kmsClient, keyId: kms.keyId });
    processorCalls = [];
  });
  afterAll(async () => {
    await kms.close();
    await table.close();
  });

  const item = async (key: { pk: string; sk: string }) =>
    (await table.db.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))).Item;
  const newCustomer = (merchantId: string) => createCustomer({ customers, now }, { merchantId, body: {}, newId });
  const save = (merchantId: string, customerId: string, number = '4242 4242 4242 4242', expiry = '2030-12-31', at = now) =>
    savePaymentMethod(
      { customers, vault, fingerprints, now: at },
      { merchantId, body: { customer_id: customerId, card_number: number, expiration_date: expiry, cvc: '123' }, newId },
    );
  const pay = (merchantId: string, body: Partial<CreatePaymentBody>, at = now) =>
    createPayment(
      { transactions, vault, fingerprints, customers, orders, defaultCurrency: async () => 'USD', now: at },
      { merchantId, body: { amount: 1050, currency: 'USD', capture: true, ...body }, newId },
    );
  const authorize = (transactionId: string, orderStore: Orders = orders) =>
    authorizePayment({ transactions, orders: orderStore, vault, processor, now }, queue.commandFor('authorization', transactionId));
  const eventTypes = async (merchantId: string) => queue.eventTypes({ merchantId });
  const newOrder = (merchantId: string, body: { amount: number; customer_id?: string } = { amount: 1050 }) =>
    createOrder({ orders, customers, now, defaultCurrency: async () => 'USD' }, { merchantId, body, newId });
  const typedCard = { card_number: '4242424242424242', expiration_date: '2030-12-31' };
  /** The orders, except that the write marking one paid fails (DynamoDB unavailable, or the process died). */
  const failingOnPaid: Orders = {
    get: (id) => orders.get(id),
    getOwned: (merchantId, id) => orders.getOwned(merchantId, id),
    create: (created) => orders.create(created),
    apply: async (previous, next, orderEvents) => {
      if (next.status === 'paid') throw new Error('DynamoDB unavailable while marking the order paid');
      return orders.apply(previous, next, orderEvents);
    },
  };

  it('saves a card sealed, without its CVC, and attaches it as the default with its events', async () => {
    const customer = await newCustomer('mer_save');

    const { paymentMethod, customer: after } = await save('mer_save', customer.id);

    const stored = await item(keys.paymentMethod(paymentMethod.id));
    expect(typeof stored?.sealed_number).toBe('string');
    expect(JSON.stringify(stored)).not.toContain('4242424242424242');
    expect(JSON.stringify(stored)).not.toMatch(/"123"/);
    expect(after).toMatchObject({ paymentMethodIds: [paymentMethod.id], defaultPaymentMethodId: paymentMethod.id });
    expect((await customers.getOwned('mer_save', customer.id))?.defaultPaymentMethodId).toBe(paymentMethod.id);
    expect(paymentMethod.card).toMatchObject({ brand: 'visa', last4: '4242', fingerprint: expect.stringMatching(/^fp_/) });
    expect(await eventTypes('mer_save')).toEqual(['customer.created', 'customer.default_payment_method_updated', 'payment_method.attached']);
    expect(await customers.getOwned('mer_other', customer.id)).toBeUndefined();
    expect(await customers.getOwnedPaymentMethod('mer_other', paymentMethod.id)).toBeUndefined();
  });

  it("charges a saved card without a CVC: the worker opens the payment method's own ciphertext", async () => {
    const customer = await newCustomer('mer_charge');
    const { paymentMethod } = await save('mer_charge', customer.id);

    const txn = await pay('mer_charge', { customer_id: customer.id });
    const outcome = await authorize(txn.id);

    const stored = await item(keys.transaction(txn.id));
    expect(stored?.sealed_record_id).toBe(paymentMethod.id);
    expect(stored?.sealed_cvc).toBeUndefined();
    expect(outcome).toBe('recorded');
    const call = processorCalls.find((request) => request.reference === txn.id);
    expect(call?.card).toEqual({ number: '4242424242424242', expMonth: 12, expYear: 2030 });
    expect((await transactions.get(txn.id))?.transaction).toMatchObject({ status: 'captured', customerId: customer.id });
  });

  it('refuses an expired saved card at payment time with expired_card, and creates nothing', async () => {
    const customer = await newCustomer('mer_expired');
    const { paymentMethod } = await save('mer_expired', customer.id, '4242424242424242', '2026-03-31');
    const afterExpiry = () => new Date('2026-04-01T00:00:00Z');

    const refused = pay('mer_expired', { payment_method_id: paymentMethod.id }, afterExpiry);

    await expect(refused).rejects.toMatchObject({ kind: 'card', code: 'expired_card', param: 'payment_method_id' });
    expect((await transactions.list({ merchantId: 'mer_expired', limit: 10 })).transactions).toEqual([]);
  });

  it('detaching erases the sealed number and refuses new charges; a payment made before still authorizes', async () => {
    const customer = await newCustomer('mer_detach');
    const { paymentMethod } = await save('mer_detach', customer.id);
    const before = await pay('mer_detach', { payment_method_id: paymentMethod.id });

    const detached = await detachPaymentMethod({ customers, now }, 'mer_detach', paymentMethod.id);
    const again = await detachPaymentMethod({ customers, now }, 'mer_detach', paymentMethod.id);

    expect(detached.customer).toMatchObject({ paymentMethodIds: [] });
    expect(detached.customer.defaultPaymentMethodId).toBeUndefined();
    expect(again.customer.version).toBe(detached.customer.version);
    expect((await item(keys.paymentMethod(paymentMethod.id)))?.sealed_number).toBeUndefined();
    await expect(pay('mer_detach', { payment_method_id: paymentMethod.id })).rejects.toMatchObject({ code: 'payment_method_detached' });
    await expect(pay('mer_detach', { customer_id: customer.id })).rejects.toMatchObject({ code: 'no_default_payment_method' });
    expect(await authorize(before.id)).toBe('recorded');
    expect((await eventTypes('mer_detach')).filter((type) => type === 'payment_method.detached')).toHaveLength(1);
  });

  it('ten concurrent default switches serialize on the customer: one default, one event per real change', async () => {
    const customer = await newCustomer('mer_race');
    const a = (await save('mer_race', customer.id)).paymentMethod.id;
    const b = (await save('mer_race', customer.id, '5555555555554444')).paymentMethod.id;
    const versionBefore = (await customers.getOwned('mer_race', customer.id))?.version ?? 0;

    const requested = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? b : a));

    const results = await Promise.all(requested.map((id) => setDefaultPaymentMethod({ customers, now }, 'mer_race', customer.id, id)));

    const final = await customers.getOwned('mer_race', customer.id);
    // Each request answers with the customer as its own write (or no-op) left it: its card is the default.
    expect(results.map((result) => result.defaultPaymentMethodId)).toEqual(requested);
    expect([a, b]).toContain(final?.defaultPaymentMethodId);
    const updates = (await eventTypes('mer_race')).filter((type) => type === 'customer.default_payment_method_updated');
    // One for the first card becoming the default, then one per write that changed it.
    expect(updates).toHaveLength(1 + ((final?.version ?? 0) - versionBefore));
  });

  it('five concurrent payments for one order: one is created, four are refused, and the order is paid once', async () => {
    const order = await createOrder(
      { orders, customers, now, defaultCurrency: async () => 'USD' },
      { merchantId: 'mer_order', body: { amount: 1050 }, newId },
    );

    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => pay('mer_order', { card_number: '4242424242424242', expiration_date: '2030-12-31', order_id: order.id })));

    const created = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refusals = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as { code: string }] : []));
    expect(created).toHaveLength(1);
    expect(refusals.map((refusal) => refusal.code)).toEqual(Array(4).fill('order_payment_in_progress'));
    const winner = created[0]?.id ?? '';
    await authorize(winner);
    expect(await orders.get(order.id)).toMatchObject({ status: 'paid', transactionId: winner });
    expect((await eventTypes('mer_order')).filter((type) => type === 'order.paid')).toHaveLength(1);
  });

  it('a claim whose payment was never created lapses; that payment, created late, fails without reaching the processor', async () => {
    const order = await createOrder(
      { orders, customers, now, defaultCurrency: async () => 'USD' },
      { merchantId: 'mer_ghost', body: { amount: 1050 }, newId },
    );
    const ghostId = newId('transaction');
    await claimOrderForPayment({ orders, payments: transactions, now }, 'mer_ghost', order.id, { transactionId: ghostId, amount: 1050, currency: 'USD' });
    const card = { card_number: '4242424242424242', expiration_date: '2030-12-31', order_id: order.id };

    await expect(pay('mer_ghost', card)).rejects.toMatchObject({ code: 'order_payment_in_progress' });
    const takeover = await pay('mer_ghost', card, () => new Date(today.getTime() + 61_000));
    const ghost = await createPayment(
      { transactions, vault, fingerprints, customers, orders, defaultCurrency: async () => 'USD', now },
      { merchantId: 'mer_ghost', body: { amount: 1050, currency: 'USD', capture: true, ...card }, newId: () => ghostId },
    ).catch((error: unknown) => error);
    const ghostOutcome = await authorize(ghostId).catch(() => 'not created');

    expect((await orders.get(order.id))?.transactionId).toBe(takeover.id);
    // The late request is refused at once; had it slipped through, the worker would fail it before the processor.
    expect(ghost).toMatchObject({ code: 'order_payment_in_progress' });
    expect(['not_found', 'not created']).toContain(ghostOutcome);
    expect(processorCalls.some((request) => request.reference === ghostId)).toBe(false);
  });

  it('the worker fails a payment whose order claim was taken over, without a charge', async () => {
    const order = await createOrder(
      { orders, customers, now, defaultCurrency: async () => 'USD' },
      { merchantId: 'mer_lost', body: { amount: 1050 }, newId },
    );
    const first = await pay('mer_lost', { card_number: '4242424242424242', expiration_date: '2030-12-31', order_id: order.id });
    const current = await orders.get(order.id);
    if (current === undefined) throw new Error('order missing');
    // Another payment took the claim (as after a lapse); the first one's message is still queued.
    await orders.apply(current, { ...current, transactionId: newId('transaction'), version: current.version + 1 });

    await authorize(first.id);

    expect((await transactions.get(first.id))?.transaction).toMatchObject({ status: 'failed', failureCode: 'order_payment_in_progress' });
    expect(processorCalls.some((request) => request.reference === first.id)).toBe(false);
  });

  it('an auto-capture whose order write fails is still recorded; settlement marks the order paid', async () => {
    const order = await newOrder('mer_repair');
    const txn = await pay('mer_repair', { ...typedCard, order_id: order.id });

    const outcome = await authorize(txn.id, failingOnPaid);
    const beforeSettle = await orders.get(order.id);
    const settledOutcome = await settlePayment({ transactions, orders, now }, queue.commandFor('settlement', txn.id));

    expect(outcome).toBe('recorded');
    expect(beforeSettle?.status).toBe('open');
    expect(settledOutcome).toBe('settled');
    expect((await transactions.get(txn.id))?.transaction.status).toBe('settled');
    expect(await orders.get(order.id)).toMatchObject({ status: 'paid', transactionId: txn.id });
  });

  it('a capture whose order write fails answers the capture; settlement marks the order paid', async () => {
    const order = await newOrder('mer_capture_repair');
    const txn = await pay('mer_capture_repair', { ...typedCard, order_id: order.id, capture: false });
    await authorize(txn.id);

    const captured = await capturePayment({ transactions, orders: failingOnPaid, now }, 'mer_capture_repair', txn.id, undefined);
    const beforeSettle = await orders.get(order.id);
    await settlePayment({ transactions, orders, now }, queue.commandFor('settlement', txn.id));

    expect(captured).toMatchObject({ status: 'captured', amountCaptured: 1050 });
    expect(beforeSettle?.status).toBe('open');
    expect(await orders.get(order.id)).toMatchObject({ status: 'paid', transactionId: txn.id });
  });

  it('refuses a partial capture of a payment for an order, which stays open until the whole is captured', async () => {
    const order = await newOrder('mer_partial');
    const txn = await pay('mer_partial', { ...typedCard, order_id: order.id, capture: false });
    await authorize(txn.id);
    const capture = (amount: number | undefined) => capturePayment({ transactions, orders, now }, 'mer_partial', txn.id, amount);

    await expect(capture(1)).rejects.toMatchObject({ kind: 'invalid_request', code: 'partial_capture_of_order', param: 'amount' });
    const afterRefusal = { transaction: (await transactions.get(txn.id))?.transaction, order: await orders.get(order.id) };
    const captured = await capture(1050);

    expect(afterRefusal.transaction).toMatchObject({ status: 'authorized', amountCaptured: 0 });
    expect(afterRefusal.order?.status).toBe('open');
    expect(captured.amountCaptured).toBe(1050);
    expect(await orders.get(order.id)).toMatchObject({ status: 'paid', transactionId: txn.id });
  });

  it("records a payment for a customer's order as that customer's, when the request names no customer", async () => {
    const customer = await newCustomer('mer_order_customer');
    const order = await newOrder('mer_order_customer', { amount: 1050, customer_id: customer.id });

    const txn = await pay('mer_order_customer', { ...typedCard, order_id: order.id });

    expect(txn.customerId).toBe(customer.id);
    expect((await transactions.list({ merchantId: 'mer_order_customer', customerId: customer.id, limit: 10 })).transactions.map((t) => t.id)).toEqual([txn.id]);
  });

  it('refuses a card for a customer with no room left before sealing it: no sealed number is stored', async () => {
    const customer = await newCustomer('mer_full');
    const full = { ...customer, paymentMethodIds: Array.from({ length: 100 }, (_, i) => `pm_full${i}`), version: customer.version + 1 };
    expect(await customers.apply(customer, { customer: full, events: [] })).toBe('written');
    const paymentMethodId = newId('paymentMethod');

    const refused = savePaymentMethod(
      { customers, vault, fingerprints, now },
      { merchantId: 'mer_full', body: { customer_id: customer.id, ...typedCard }, newId: () => paymentMethodId },
    );

    await expect(refused).rejects.toMatchObject({ kind: 'conflict', code: 'too_many_payment_methods' });
    expect(await item(keys.paymentMethod(paymentMethodId))).toBeUndefined();
  });

  it('attaches no card that it could not read back after finding its id taken', async () => {
    const customer = await newCustomer('mer_unread');
    const neverStored: Customers = {
      create: (transition) => customers.create(transition),
      apply: (previous, transition) => customers.apply(previous, transition),
      getOwned: (merchantId, id) => customers.getOwned(merchantId, id),
      savePaymentMethod: async () => 'condition_failed',
      getOwnedPaymentMethod: (merchantId, id) => customers.getOwnedPaymentMethod(merchantId, id),
      getPaymentMethods: (ids) => customers.getPaymentMethods(ids),
      eraseSealedNumber: (id) => customers.eraseSealedNumber(id),
    };

    const saved = savePaymentMethod(
      { customers: neverStored, vault, fingerprints, now },
      { merchantId: 'mer_unread', body: { customer_id: customer.id, ...typedCard }, newId },
    );

    await expect(saved).rejects.toThrow('could not be read back');
    expect((await customers.getOwned('mer_unread', customer.id))?.paymentMethodIds).toEqual([]);
  });
});
