/** The settle worker built from fakes: no environment, no queue, and a clock the test sets. */
import { describe, expect, it } from 'vitest';
import { newId } from '../../../functions/core/ids.ts';
import { recordAuthorization, type Transaction } from '../../../functions/core/transaction.ts';
import { makeSettleHandler } from '../../../functions/payments/settle-worker.ts';
import { MemoryTransactions, noOrders, pendingTransaction } from '../../support/memory-transactions.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../../support/sqs-event.ts';

const CREATED = new Date('2030-01-01T12:00:00.000Z');
const NOW = new Date('2030-01-01T12:05:00.000Z');

/** An automatic-capture payment the processor approved: captured, waiting to settle. */
const captured = (): Transaction => {
  const pending = pendingTransaction(newId('transaction', CREATED.getTime()), CREATED);
  return recordAuthorization(pending, { outcome: 'approved', authorizationCode: 'A1' }, CREATED).transaction;
};

describe('the settle worker', () => {
  it('settles captured payments at the time of its clock, each write naming the outbox entry its message came from', async () => {
    // Arrange
    const first = captured();
    const second = captured();
    const transactions = new MemoryTransactions([first, second]);
    const handler = makeSettleHandler({ transactions, orders: noOrders, now: () => NOW });

    // Act
    const response = await handler(
      sqsEvent(
        sqsRecord('m1', { transaction_id: first.id, outbox_entry: 'cmd_1' }),
        sqsRecord('m2', { transaction_id: second.id, outbox_entry: 'cmd_2' }),
      ),
      lambdaContext,
    );

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    const writes = transactions.applied.map(({ transition: { transaction }, receipt }) => [
      transaction.id,
      transaction.status,
      transaction.updatedAt,
      receipt?.outboxEntry,
    ]);
    expect(writes).toEqual([
      [first.id, 'settled', NOW.toISOString(), 'cmd_1'],
      [second.id, 'settled', NOW.toISOString(), 'cmd_2'],
    ]);
  });

  it('writes nothing for a payment settled already, and publishes its events again only when its message came back', async () => {
    // Arrange
    const settled = captured();
    const transactions = new MemoryTransactions([settled]);
    const handler = makeSettleHandler({ transactions, orders: noOrders, now: () => NOW });
    await handler(sqsEvent(sqsRecord('m1', { transaction_id: settled.id })), lambdaContext);
    const writesBefore = transactions.applied.length;

    // Act: a copy of the message, then the message back after its consumer died before publishing.
    await handler(sqsEvent(sqsRecord('copy', { transaction_id: settled.id })), lambdaContext);
    const republishedByCopy = [...transactions.republished];
    await handler(sqsEvent(sqsRecord('m1', { transaction_id: settled.id }, 2)), lambdaContext);

    // Assert
    expect(transactions.applied).toHaveLength(writesBefore);
    expect(republishedByCopy).toEqual([]);
    expect(transactions.republished).toEqual([settled.id]);
  });
});
