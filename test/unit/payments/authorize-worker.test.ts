/**
 * The authorize worker built from fakes: its queue messages in, the processor asked, the answer recorded, an
 * outage put off through the visibility port. No environment, no SQS client, and a clock the test sets.
 */
import { describe, expect, it } from 'vitest';
import { ProcessorOutageError } from '../../../functions/adapters/resilient-processor.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Transaction } from '../../../functions/core/transaction.ts';
import type { AuthorizationRequest, CardProcessor } from '../../../functions/core/processor.ts';
import { createdAtOf, makeAuthorizeHandler, type AuthorizeWorkerDependencies } from '../../../functions/payments/authorize-worker.ts';
import { captureLogs } from '../http/capture-logs.ts';
import { MemoryTransactions, noOrders, pendingTransaction } from '../../support/memory-transactions.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../../support/sqs-event.ts';

const CREATED = new Date('2030-01-01T12:00:00.000Z');
const NOW = new Date('2030-01-01T12:00:07.000Z');
const CARD_NUMBER = '4242424242424242';

function harness(transactions: readonly Transaction[], processor: CardProcessor) {
  const repository = new MemoryTransactions(transactions, CARD_NUMBER);
  const visibilityChanges: [string, number][] = [];
  const asked: AuthorizationRequest[] = [];
  const deps: AuthorizeWorkerDependencies = {
    transactions: repository,
    orders: noOrders,
    vault: {
      seal: () => Promise.reject(new Error('the worker seals nothing')),
      open: async (sealed) => sealed.replace(/^sealed:/, ''),
    },
    processor: {
      authorize: (request, signal) => {
        asked.push(request);
        return processor.authorize(request, signal);
      },
    },
    now: () => NOW,
    changeVisibility: async (receiptHandle, seconds) => {
      visibilityChanges.push([receiptHandle, seconds]);
    },
  };
  return { handler: makeAuthorizeHandler(deps), repository, visibilityChanges, asked };
}

const approving: CardProcessor = { authorize: async () => ({ outcome: 'approved', authorizationCode: 'A1B2C3' }) };

describe('the authorize worker', () => {
  it('asks the processor about a pending payment and records its answer at the time of its clock, with the settlement command', async () => {
    // Arrange
    const txn = pendingTransaction(newId('transaction', CREATED.getTime()), CREATED);
    const { handler, repository, asked } = harness([txn], approving);

    // Act
    const response = await handler(sqsEvent(sqsRecord('m1', { transaction_id: txn.id, outbox_entry: 'cmd_1' })), lambdaContext);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(asked.map((request) => [request.reference, request.card.number])).toEqual([[txn.id, CARD_NUMBER]]);
    expect(repository.applied).toHaveLength(1);
    expect(repository.applied[0]?.transition.transaction).toMatchObject({ status: 'captured', updatedAt: NOW.toISOString() });
    expect(repository.applied[0]?.commands).toEqual([{ queue: 'settlement', body: { transaction_id: txn.id } }]);
    expect(repository.applied[0]?.receipt).toMatchObject({ outboxEntry: 'cmd_1' });
  });

  it('puts off a payment the processor cannot answer by the delay the outage asks for, and fails only its message', async () => {
    // Arrange
    const outOf = pendingTransaction(newId('transaction', CREATED.getTime()), CREATED);
    const answered = pendingTransaction(newId('transaction', CREATED.getTime()), CREATED);
    const { handler, repository, visibilityChanges } = harness([outOf, answered], {
      authorize: (request) =>
        request.reference === outOf.id ? Promise.reject(new ProcessorOutageError(120)) : approving.authorize(request),
    });

    // Act
    const response = await handler(
      sqsEvent(sqsRecord('out', { transaction_id: outOf.id, outbox_entry: 'cmd_out' }), sqsRecord('ok', { transaction_id: answered.id })),
      lambdaContext,
    );

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'out' }] });
    expect(visibilityChanges).toEqual([['handle-out', 120]]);
    // Its message now carries the payment, so the sweep leaves it alone.
    expect(repository.acknowledged).toEqual([{ transactionId: outOf.id, outboxEntry: 'cmd_out' }]);
    expect(repository.applied.map((write) => write.transition.transaction.id)).toEqual([answered.id]);
  });

  it('fails a malformed message without asking the processor, and logs neither its body nor the card', async () => {
    // Arrange
    const txn = pendingTransaction(newId('transaction', CREATED.getTime()), CREATED);
    const { handler, asked, visibilityChanges } = harness([txn], approving);
    const malformed = sqsRecord('bad', { transactionId: txn.id, card_number: CARD_NUMBER });

    // Act
    let outcome: unknown;
    const logs = await captureLogs(async () => {
      outcome = await handler(sqsEvent(malformed), lambdaContext).catch((error: unknown) => error);
    });

    // Assert: a batch whose every message failed fails the invocation, so the worker-error alarm sees it.
    expect(outcome).toBeInstanceOf(Error);
    expect(asked).toEqual([]);
    expect(visibilityChanges).toEqual([]);
    expect(logs).toContain('Malformed queue message');
    expect(logs).not.toContain(CARD_NUMBER);
    expect(logs).not.toContain(txn.id);
  });
});

describe("a payment's creation time, for its outage deadline", () => {
  it('is the time in its id', () => {
    expect(createdAtOf(newId('transaction', CREATED.getTime()), () => NOW)).toBe(CREATED.getTime());
  });

  it("is the clock's now for an id that carries no time", () => {
    expect(createdAtOf('txn_not-a-ulid', () => NOW)).toBe(NOW.getTime());
  });
});
