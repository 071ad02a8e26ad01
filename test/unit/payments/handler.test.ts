/** The payments and transactions handlers built from fakes: no table, no KMS, no environment, and a clock the test sets. */
import { describe, expect, it } from 'vitest';
import { newId } from '../../../functions/core/ids.ts';
import { createPendingTransaction, type Transaction, type Transition } from '../../../functions/core/transaction.ts';
import type { WriteOutcome } from '../../../functions/core/write-outcome.ts';
import { makePaymentsHandler, makeTransactionsHandler } from '../../../functions/payments/handler.ts';
import type { ListFilter, QueueCommand, SealedCard, TransactionList, Transactions } from '../../../functions/payments/ports.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { noOrders } from '../../support/memory-transactions.ts';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const OTHER_MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0X';

/** Transactions by id, each owned by its merchant, as the repository keeps them. */
class OwnedTransactions implements Transactions {
  readonly created: { transaction: Transaction; sealedCard: SealedCard; commands: readonly QueueCommand[] }[] = [];
  readonly applied: Transition[] = [];
  private readonly stored = new Map<string, Transaction>();

  constructor(transactions: readonly Transaction[] = []) {
    for (const transaction of transactions) this.stored.set(transaction.id, transaction);
  }

  async create(transition: Transition, sealedCard: SealedCard, commands: readonly QueueCommand[]): Promise<WriteOutcome> {
    if (this.stored.has(transition.transaction.id)) return 'condition_failed';
    this.stored.set(transition.transaction.id, transition.transaction);
    this.created.push({ transaction: transition.transaction, sealedCard, commands });
    return 'written';
  }

  async apply(previous: Transaction, transition: Transition): Promise<WriteOutcome> {
    if (this.stored.get(previous.id)?.version !== previous.version) return 'condition_failed';
    this.stored.set(previous.id, transition.transaction);
    this.applied.push(transition);
    return 'written';
  }

  async getOwned(merchantId: string, transactionId: string): Promise<Transaction | undefined> {
    const transaction = this.stored.get(transactionId);
    return transaction?.merchantId === merchantId ? transaction : undefined;
  }

  get(): never {
    throw new Error('the API reads transactions by merchant only');
  }

  republish(): never {
    throw new Error('only consumers republish');
  }

  acknowledge(): never {
    throw new Error('only consumers acknowledge');
  }
}

const pendingOf = (id: string, merchantId: string): Transaction =>
  createPendingTransaction(
    {
      id,
      merchantId,
      amount: 1000,
      currency: 'EUR',
      captureMethod: 'manual',
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, fingerprint: 'fp_1' },
    },
    NOW,
  ).transaction;

function paymentsHandler(transactions: Transactions) {
  return makePaymentsHandler({
    transactions,
    vault: {
      seal: async (plaintext, binding) => `sealed(${binding.recordId}.${binding.field}:${plaintext.length} digits)`,
      open: () => Promise.reject(new Error('the API never opens a card')),
    },
    fingerprints: { fingerprint: async () => 'fp_test' },
    customers: { getOwned: async () => undefined, getOwnedPaymentMethod: async () => undefined },
    orders: noOrders,
    defaultCurrency: async () => 'EUR',
    now: () => NOW,
    ...memoryPipeline(),
  });
}

describe('the payments handler', () => {
  it("creates a pending payment for the caller at the clock's time, its card sealed and its authorization queued", async () => {
    // Arrange
    const transactions = new OwnedTransactions();
    const handler = paymentsHandler(transactions);
    const body = JSON.stringify({ amount: 1250, card_number: '4242 4242 4242 4242', expiration_date: '2031-12-31', cvc: '123' });

    // Act
    const response = await handler(apiEvent('POST', '/payments', { caller: merchant, body }), lambdaContext);

    // Assert
    expect(response.statusCode).toBe(201);
    expect(jsonOf(response)).toMatchObject({
      merchant_id: merchant.merchantId,
      status: 'pending',
      amount: 1250,
      currency: 'EUR',
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2031, fingerprint: 'fp_test' },
      created: NOW.toISOString(),
    });
    expect(response.body).not.toContain('4242424242424242');
    const [created] = transactions.created;
    expect(transactions.created).toHaveLength(1);
    expect(created?.transaction.id).toBe(jsonOf(response).transaction_id);
    expect(created?.sealedCard).toEqual({
      number: `sealed(${created?.transaction.id}.number:16 digits)`,
      cvc: `sealed(${created?.transaction.id}.cvc:3 digits)`,
    });
    expect(created?.commands).toEqual([{ queue: 'authorization', body: { transaction_id: created?.transaction.id } }]);
  });

  it("answers 404 for another merchant's payment, as for a missing one, and shows the caller its own", async () => {
    // Arrange
    const own = pendingOf(newId('transaction'), merchant.merchantId);
    const others = pendingOf(newId('transaction'), OTHER_MERCHANT);
    const handler = paymentsHandler(new OwnedTransactions([own, others]));
    const get = (id: string) =>
      handler(apiEvent('GET', '/payments/{transaction_id}', { caller: merchant, pathParameters: { transaction_id: id }, path: `/payments/${id}` }), lambdaContext);

    // Act
    const [othersResponse, ownResponse] = [await get(others.id), await get(own.id)];

    // Assert
    expect(othersResponse.statusCode).toBe(404);
    expect(jsonOf(othersResponse)).toMatchObject({ code: 'resource_missing', param: 'transaction_id' });
    expect(ownResponse.statusCode).toBe(200);
    expect(jsonOf(ownResponse)).toMatchObject({ transaction_id: own.id, merchant_id: merchant.merchantId });
  });

  it("refuses to cancel another merchant's payment with a 404, and writes nothing", async () => {
    // Arrange
    const others = pendingOf(newId('transaction'), OTHER_MERCHANT);
    const transactions = new OwnedTransactions([others]);
    const handler = paymentsHandler(transactions);

    // Act
    const response = await handler(
      apiEvent('POST', '/payments/{transaction_id}/cancel', {
        caller: merchant,
        pathParameters: { transaction_id: others.id },
        path: `/payments/${others.id}/cancel`,
      }),
      lambdaContext,
    );

    // Assert
    expect(response.statusCode).toBe(404);
    expect(transactions.applied).toEqual([]);
  });
});

describe('the transactions handler', () => {
  function listing(page: Awaited<ReturnType<TransactionList['list']>>) {
    const filters: ListFilter[] = [];
    const handler = makeTransactionsHandler({
      transactions: {
        list: async (filter) => {
          filters.push(filter);
          return page;
        },
      },
      ...memoryPipeline(),
    });
    return { handler, filters };
  }

  it("lists the caller's transactions, and links the next page after the last one shown", async () => {
    // Arrange
    const shown = pendingOf(newId('transaction'), merchant.merchantId);
    const { handler, filters } = listing({ transactions: [shown], lastId: shown.id });

    // Act
    const response = await handler(apiEvent('GET', '/transactions', { caller: merchant, query: { limit: '1', status: 'pending' } }), lambdaContext);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual([expect.objectContaining({ transaction_id: shown.id })]);
    expect(filters).toEqual([{ merchantId: merchant.merchantId, limit: 1, status: 'pending' }]);
    expect(response.headers?.Link).toMatch(/starting_after=/);
  });

  it("answers 404 to a filter on another merchant's id, without reading any transaction", async () => {
    // Arrange
    const { handler, filters } = listing({ transactions: [], lastId: undefined });

    // Act
    const response = await handler(apiEvent('GET', '/transactions', { caller: merchant, query: { merchant_id: OTHER_MERCHANT } }), lambdaContext);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'merchant_id' });
    expect(filters).toEqual([]);
  });
});
