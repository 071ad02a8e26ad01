/**
 * Items read from the table are parsed at the repository boundary: an item of an older or broken shape,
 * written straight into the table, fails its read with a StoredItemShapeError that names the item and the
 * failing fields (never their values), and an item the store wrote itself still reads back as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { EventRepository } from '../../functions/adapters/event-repository.ts';
import { IdempotencyStore } from '../../functions/adapters/idempotency-store.ts';
import { StoredItemShapeError } from '../../functions/adapters/item-schema.ts';
import { keys, ownerPartition } from '../../functions/adapters/keys.ts';
import { MerchantStore } from '../../functions/adapters/merchant-store.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { SessionStore } from '../../functions/adapters/session-store.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { createCustomer, type PaymentMethod } from '../../functions/core/customer.ts';
import { createOrder } from '../../functions/core/order.ts';
import { createPendingTransaction, type TransactionCard } from '../../functions/core/transaction.ts';
import { hashSessionToken } from '../../functions/hosted/session.ts';
import { hashSecret } from '../../functions/merchants/secret-keys.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';

const MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E';
const FINGERPRINT = 'fp_Q2FyZEZpbmdlcnByaW50';
const SEALED_NUMBER = 'v2.20260115.AbCdEfGhIj.aXZpdml2aXZpdml2.Y2lwaGVy.dGFndGFndGFndGFndGFn';
const NOW = new Date('2026-01-15T10:00:00Z');
const CARD: TransactionCard = { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, fingerprint: FINGERPRINT };

let table: TestTable;
let transactions: TransactionRepository;
let customers: CustomerRepository;
let orders: OrderRepository;
let merchants: MerchantStore;
let sessions: SessionStore;
let idempotency: IdempotencyStore;
let events: EventRepository;

beforeAll(async () => {
  table = await startTestTable();
  const outbox = new OutboxStore(table.db, table.tableName, new RecordingQueueSender());
  transactions = new TransactionRepository(table.db, table.tableName, outbox, () => NOW);
  customers = new CustomerRepository(table.db, table.tableName, outbox, () => NOW);
  orders = new OrderRepository(table.db, table.tableName, outbox, () => NOW);
  merchants = new MerchantStore(table.db, table.tableName);
  sessions = new SessionStore(table.db, table.tableName, () => NOW);
  idempotency = new IdempotencyStore(table.db, table.tableName);
  events = new EventRepository(table.db, table.tableName);
});
afterAll(async () => table.close());

async function putRaw(item: Record<string, unknown>): Promise<void> {
  await table.db.send(new PutCommand({ TableName: table.tableName, Item: item }));
}

async function shapeErrorOf(read: Promise<unknown>): Promise<StoredItemShapeError> {
  const error = await read.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StoredItemShapeError);
  return error as StoredItemShapeError;
}

describe('a good item still round-trips', () => {
  it('for a transaction with its sealed card', async () => {
    // Arrange
    const { transaction } = createPendingTransaction(
      { id: 'txn_ROUNDTRIP', merchantId: MERCHANT, amount: 1250, currency: 'EUR', captureMethod: 'manual', metadata: { order: '7' }, card: CARD },
      NOW,
    );
    await transactions.create({ transaction, events: [] }, { number: SEALED_NUMBER }, []);

    // Act
    const stored = await transactions.get(transaction.id);

    // Assert
    expect(stored).toEqual({ transaction, sealedCard: { number: SEALED_NUMBER } });
  });

  it('for a customer, a saved card and an order', async () => {
    // Arrange
    const { customer } = createCustomer({ id: 'cus_ROUNDTRIP', merchantId: MERCHANT, email: 'a@example.com', metadata: { tier: 'gold' } }, NOW);
    await customers.create({ customer, events: [] });
    const paymentMethod: PaymentMethod = { id: 'pm_ROUNDTRIP', merchantId: MERCHANT, customerId: customer.id, card: CARD, createdAt: NOW.toISOString() };
    await customers.savePaymentMethod(paymentMethod, SEALED_NUMBER);
    const order = createOrder({ id: 'ord_ROUNDTRIP', merchantId: MERCHANT, amount: 500, currency: 'USD', description: 'Tea' }, NOW);
    await orders.create(order);

    // Act
    const read = await Promise.all([customers.get(customer.id), customers.getPaymentMethod(paymentMethod.id), orders.get(order.id)]);

    // Assert
    expect(read).toEqual([customer, { paymentMethod, sealedNumber: SEALED_NUMBER }, order]);
  });

  it('for a merchant, its API key and a checkout session', async () => {
    // Arrange
    const merchant = { merchantId: MERCHANT, name: 'Tea Shop', email: 'shop@example.com', defaultCurrency: 'EUR', createdAt: NOW.toISOString(), usagePlanKey: 'upk_1' };
    const { apiKey } = await merchants.createMerchant(merchant, 'key_ROUNDTRIP');
    const checkout = { amount: 900, currency: 'EUR', description: 'Green tea', returnUrl: 'https://shop.example/done' };
    const { session, token } = await sessions.create({ id: 'chk_ROUNDTRIP', kind: 'checkout', merchantId: MERCHANT, checkout });

    // Act
    const read = await Promise.all([
      merchants.getMerchant(MERCHANT),
      merchants.findActiveKey(hashSecret(apiKey.secret)),
      sessions.findActive(hashSessionToken(token)),
    ]);

    // Assert
    expect(read).toEqual([merchant, { keyId: 'key_ROUNDTRIP', merchantId: MERCHANT, usagePlanKey: 'upk_1' }, session]);
    expect(session.checkout).toEqual(checkout);
  });

  it('for an idempotency record and a recorded event', async () => {
    // Arrange
    const scope = { merchantId: MERCHANT, key: 'roundtrip' };
    await idempotency.reserve(scope, { requestHash: 'h1', lockedUntil: NOW.getTime() + 30_000, seed: 'seed1' }, NOW.getTime());
    await idempotency.complete(scope, 'seed1', { status: 201, body: '{"id":"x"}', headers: { 'content-type': 'application/json' } });
    const event = { id: 'evt_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E', type: 'customer.created', merchantId: MERCHANT, created: NOW.toISOString(), data: { customer_id: 'cus_1' } };
    await events.record([{ event, endpointIds: [] }], NOW.getTime());

    // Act
    const read = await Promise.all([idempotency.get(scope), events.getOwned(MERCHANT, event.id)]);

    // Assert
    expect(read).toEqual([
      {
        requestHash: 'h1',
        state: 'complete',
        lockedUntil: NOW.getTime() + 30_000,
        seed: 'seed1',
        response: { status: 201, body: '{"id":"x"}', headers: { 'content-type': 'application/json' } },
      },
      { event, deliveries: [] },
    ]);
  });
});

describe('an item of an older or broken shape fails its read with a clear error', () => {
  it('for a transaction: names the fields at fault, and neither the fingerprint nor the sealed number', async () => {
    // Arrange: an older transaction item, with its expiry month as text and no refunds list yet.
    await putRaw({
      ...keys.transaction('txn_OLDSHAPE'),
      id: 'txn_OLDSHAPE',
      merchantId: MERCHANT,
      amount: 1250,
      currency: 'EUR',
      status: 'pending',
      amountCaptured: 0,
      amountRefunded: 0,
      captureMethod: 'manual',
      metadata: {},
      card: { ...CARD, expMonth: '12' },
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      version: 1,
      sealed_number: SEALED_NUMBER,
      outbox: {},
    });

    // Act
    const error = await shapeErrorOf(transactions.get('txn_OLDSHAPE'));

    // Assert
    expect(error.itemKind).toBe('transaction');
    expect(error.paths).toEqual(['card.expMonth', 'refunds']);
    expect(error.message).toMatch(/^A stored transaction item does not have the expected shape: card\.expMonth \(expected number\); refunds \(expected array\)$/);
    expect(error.message).not.toContain(FINGERPRINT);
    expect(error.message).not.toContain(SEALED_NUMBER);
  });

  it('for a transaction whose outbox names a queue that is gone', async () => {
    // Arrange
    const { transaction } = createPendingTransaction(
      { id: 'txn_OLDQUEUE', merchantId: MERCHANT, amount: 100, currency: 'EUR', captureMethod: 'automatic', card: CARD },
      NOW,
    );
    const { version: _version, ...fields } = transaction;
    await putRaw({ ...keys.transaction(transaction.id), ...fields, version: 1, sealed_number: SEALED_NUMBER, outbox: { cmd_1: { queue: 'retired', body: {} } } });

    // Act
    const error = await shapeErrorOf(transactions.get(transaction.id));

    // Assert
    expect(error).toMatchObject({ itemKind: 'outbox record', paths: ['outbox.*'] });
  });

  it.each([
    {
      kind: 'customer',
      item: { ...keys.customer('cus_OLD'), id: 'cus_OLD', merchantId: MERCHANT, metadata: {}, createdAt: 'x', updatedAt: 'x', version: 1 },
      read: () => customers.get('cus_OLD'),
      paths: ['paymentMethodIds'],
    },
    {
      kind: 'saved card',
      item: { ...keys.paymentMethod('pm_OLD'), id: 'pm_OLD', merchantId: MERCHANT, customerId: 'cus_1', card: { ...CARD, brand: 'visa-electron' }, createdAt: 'x' },
      read: () => customers.getPaymentMethod('pm_OLD'),
      paths: ['card.brand'],
    },
    {
      kind: 'order',
      item: { ...keys.order('ord_OLD'), id: 'ord_OLD', merchantId: MERCHANT, amount: 5, currency: 'EUR', metadata: {}, status: 'unpaid', createdAt: 'x', updatedAt: 'x', version: 1 },
      read: () => orders.get('ord_OLD'),
      paths: ['status'],
    },
    {
      kind: 'merchant',
      item: { ...keys.merchant('mer_OLD'), merchant_id: 'mer_OLD', name: 'Old', email: 'old@example.com', defaultCurrency: 'EUR', created_at: 'x' },
      read: () => merchants.getMerchant('mer_OLD'),
      paths: ['default_currency'],
    },
    {
      kind: 'API key',
      item: { ...keys.apiKey('oldhash'), merchant_id: MERCHANT, created_at: 'x', gsi1pk: ownerPartition.apiKeys(MERCHANT), gsi1sk: 'key_OLD' },
      read: () => merchants.findActiveKey('oldhash'),
      paths: ['key_id'],
    },
    {
      kind: 'session',
      item: { ...keys.session('oldsession'), session_id: 'ses_OLD', kind: 'wallet', merchant_id: MERCHANT, created_at: 'x', session_expires_at: 'x', expires_at: 1 },
      read: () => sessions.findActive('oldsession'),
      paths: ['kind'],
    },
    {
      kind: 'idempotency record',
      item: { ...keys.idempotency(MERCHANT, 'old'), requestHash: 'h', state: 'done', lockedUntil: 1, seed: 's', expires_at: 1 },
      read: () => idempotency.get({ merchantId: MERCHANT, key: 'old' }),
      paths: ['state'],
    },
    {
      kind: 'event',
      item: { ...keys.event(MERCHANT, 'evt_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F'), id: 'evt_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F', type: 'x', merchantId: MERCHANT, created: 'x', data: {} },
      read: () => events.getOwned(MERCHANT, 'evt_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F'),
      paths: ['endpoint_ids', 'recorded_at'],
    },
  ])('for a $kind item', async ({ kind, item, read, paths }) => {
    // Arrange
    await putRaw(item);

    // Act
    const error = await shapeErrorOf(read());

    // Assert
    expect(error).toMatchObject({ itemKind: kind, paths });
    expect(error.message).toContain(`A stored ${kind} item does not have the expected shape: ${paths[0]}`);
  });
});
