import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TRANSACTION_SHARDS, indexNames, merchantPartition } from '../../functions/adapters/keys.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { newId } from '../../functions/core/ids.ts';
import { cancel, createPendingTransaction } from '../../functions/core/transaction.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';

/**
 * A merchant's transactions are spread over the shards of the byMerchant index so that no partition takes
 * every payment; the list merges the shards back into one list, newest first, under one opaque cursor.
 */
describe("a merchant's transactions over sharded index partitions", () => {
  let table: TestTable;
  let transactions: TransactionRepository;
  const created: string[] = [];
  const canceled = new Set<string>();
  const merchantId = 'mer_SHARDED';

  beforeAll(async () => {
    table = await startTestTable();
    transactions = new TransactionRepository(table.db, table.tableName, new OutboxStore(table.db, table.tableName, new RecordingQueueSender()));
    const start = Date.parse('2030-01-01T00:00:00Z');
    for (let n = 0; n < 70; n += 1) {
      // Some share a millisecond (ids then differ only in their random part), most do not.
      const at = start + Math.floor(n / 3) * 1000;
      const id = newId('transaction', at);
      const transition = createPendingTransaction(
        {
          id,
          merchantId,
          amount: 100 + n,
          currency: 'USD',
          captureMethod: 'manual',
          card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2031, fingerprint: 'fp' },
        },
        new Date(at),
      );
      await transactions.create(transition, { number: 'sealed' }, []);
      created.push(id);
      if (n % 4 === 0) {
        const stored = await transactions.get(id);
        if (stored === undefined) throw new Error('just created');
        await transactions.apply(stored.transaction, cancel(stored.transaction, new Date(at)));
        canceled.add(id);
      }
    }
    // Another merchant's transaction in between, which must never show.
    const other = createPendingTransaction(
      {
        id: newId('transaction', start + 5000),
        merchantId: 'mer_OTHER',
        amount: 1,
        currency: 'USD',
        captureMethod: 'manual',
        card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2031, fingerprint: 'fp' },
      },
      new Date(start),
    );
    await transactions.create(other, { number: 'sealed' }, []);
  });
  afterAll(() => table.close());

  const pageThrough = async (filter: { limit: number; status?: 'canceled'; idFrom?: string; idBefore?: string }) => {
    const seen: string[] = [];
    let startingAfter: string | undefined;
    for (let pages = 0; pages < 100; pages += 1) {
      const page = await transactions.list({ merchantId, ...filter, ...(startingAfter === undefined ? {} : { startingAfter }) });
      seen.push(...page.transactions.map((txn) => txn.id));
      if (page.lastId === undefined) return seen;
      startingAfter = page.lastId;
    }
    throw new Error('the list never ended');
  };
  const newestFirst = (ids: readonly string[]) => [...ids].sort().reverse();

  it('spreads them over more than one index partition', async () => {
    // Act
    const counts = await Promise.all(
      Array.from({ length: TRANSACTION_SHARDS }, async (_, shard) => {
        const { Count } = await table.db.send(
          new QueryCommand({
            TableName: table.tableName,
            IndexName: indexNames.byMerchant,
            KeyConditionExpression: 'gsi3pk = :pk',
            ExpressionAttributeValues: { ':pk': merchantPartition.transactions(merchantId, shard) },
            Select: 'COUNT',
          }),
        );
        return Count ?? 0;
      }),
    );

    // Assert: every transaction is in exactly one shard, every shard has some, none holds half of them.
    expect(counts.reduce((a, b) => a + b, 0)).toBe(created.length);
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(Math.max(...counts)).toBeLessThan(created.length / 2);
  });

  it.each([1, 7, 20, 100])('comes back newest first, with no repeat and no gap, %i to a page', async (limit) => {
    // Act
    const seen = await pageThrough({ limit });

    // Assert
    expect(seen).toEqual(newestFirst(created));
  });

  it('pages a status filter the same way', async () => {
    // Act
    const seen = await pageThrough({ limit: 4, status: 'canceled' });

    // Assert
    expect(seen).toEqual(newestFirst([...canceled]));
  });

  it('keeps to creation-time bounds across the shards', async () => {
    // Arrange
    const sorted = [...created].sort();
    const idFrom = sorted[10] ?? '';
    const idBefore = sorted[50] ?? '';

    // Act
    const seen = await pageThrough({ limit: 6, idFrom, idBefore });

    // Assert
    expect(seen).toEqual(newestFirst(sorted.slice(10, 50)));
  });
});
