/**
 * An acquirer outage as the authorize worker meets it: the resilient processor with the authorization queue's
 * outage policy (lib/topology.ts), in front of the real use case and repositories on the embedded DynamoDB and
 * KMS. A payment caught in the outage stays pending and is put off (its message comes back later); it is
 * authorized once the acquirer answers again, or ends failed (processor_unavailable) at its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KmsCardVault } from '../../functions/adapters/card-vault.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { ProcessorOutageError, ResilientProcessor } from '../../functions/adapters/resilient-processor.ts';
import { newId } from '../../functions/core/ids.ts';
import { ProcessorUnavailableError, type CardProcessor } from '../../functions/core/processor.ts';
import { authorizePayment } from '../../functions/payments/authorize-payment.ts';
import { createdAtOf } from '../../functions/payments/authorize-worker.ts';
import { createPayment } from '../../functions/payments/create-payment.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { queues } from '../../lib/topology.ts';
import type { TestTable } from '../support/dynamo.ts';
import { startPaymentStack, type PaymentStack } from '../support/payment-stack.ts';
import type { RecordingQueueSender } from '../support/recording-queue.ts';

describe('an acquirer outage, ridden out by the authorize worker', () => {
  let table: TestTable;
  let stack: PaymentStack;
  let transactions: TransactionRepository;
  let customers: CustomerRepository;
  let orders: OrderRepository;
  let queue: RecordingQueueSender;
  let vault: KmsCardVault;
  const now = () => new Date();
  /** The acquirer: out (every call times out) until `acquirerUp`. */
  let acquirerUp = false;
  const acquirer: CardProcessor = {
    authorize: () =>
      acquirerUp
        ? Promise.resolve({ outcome: 'approved', authorizationCode: 'A1B2C3' })
        : Promise.reject(new ProcessorUnavailableError('timeout')),
  };
  /** How old the worker believes each payment is: its id's time, shifted back by `ageSeconds`. */
  const processorAged = (ageSeconds: number) =>
    new ResilientProcessor(acquirer, {
      attempts: 1,
      outage: {
        ...queues.authorization.outageRetry,
        createdAt: (request) => createdAtOf(request.reference, now) - ageSeconds * 1000,
        random: () => 0,
      },
    });

  beforeAll(async () => {
    stack = await startPaymentStack();
    ({ table, queue, transactions, customers, orders, vault } = stack);
  });
  afterAll(() => stack.close());

  const create = (merchantId: string) =>
    createPayment(
      { transactions, customers, orders, vault, fingerprints: { fingerprint: async () => 'fp_test' }, defaultCurrency: async () => 'USD', now },
      { merchantId, body: { amount: 2500, card_number: '4242 4242 4242 4242', expiration_date: '2030-12-31', capture: true }, newId },
    );
  const eventTypesOf = async (merchantId: string) => queue.eventTypes({ merchantId });
  const authorization = (transactionId: string) => queue.commandFor('authorization', transactionId);
  const sweepMarkerOf = async (transactionId: string) =>
    (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.transaction(transactionId), ConsistentRead: true }))).Item
      ?.outbox_pending;

  it('keeps a payment pending while the acquirer is out, asks for it again later, and authorizes it once it is back', async () => {
    acquirerUp = false;
    const txn = await create('mer_outage');
    const processor = processorAged(0);

    const markedBefore = await sweepMarkerOf(txn.id);
    const duringOutage = await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id)).catch((error: unknown) => error);
    const stillPending = (await transactions.get(txn.id))?.transaction;
    // The message, put off, now carries the payment: the sweep must not send it again every minute for hours.
    const markedDuring = await sweepMarkerOf(txn.id);
    acquirerUp = true;
    const afterOutage = await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id));

    expect(markedBefore).toBeDefined();
    expect(markedDuring).toBeUndefined();
    expect(duringOutage).toBeInstanceOf(ProcessorOutageError);
    expect(duringOutage).toMatchObject({ retryAfterSeconds: 30 });
    expect(stillPending).toMatchObject({ status: 'pending' });
    expect(afterOutage).toBe('recorded');
    expect((await transactions.get(txn.id))?.transaction).toMatchObject({ status: 'captured' });
    expect(await eventTypesOf('mer_outage')).toEqual(['payment.authorized', 'payment.captured', 'payment.pending']);
  });

  it('puts a payment off for longer the longer it has waited, up to 15 minutes', async () => {
    acquirerUp = false;
    const txn = await create('mer_longer');

    const outcome = await authorizePayment({ transactions, orders, vault, processor: processorAged(2 * 3_600), now }, authorization(txn.id)).catch(
      (error: unknown) => error,
    );

    expect(outcome).toMatchObject({ retryAfterSeconds: 900 });
    expect((await transactions.get(txn.id))?.transaction).toMatchObject({ status: 'pending' });
  });

  it('ends a payment failed, processor_unavailable, with its event, once it is 12 hours old and the acquirer is still out', async () => {
    acquirerUp = false;
    const txn = await create('mer_deadline');

    const outcome = await authorizePayment({ transactions, orders, vault, processor: processorAged(12 * 3_600), now }, authorization(txn.id));

    expect(outcome).toBe('recorded');
    expect((await transactions.get(txn.id))?.transaction).toMatchObject({ status: 'failed', failureCode: 'processor_unavailable' });
    expect(await eventTypesOf('mer_deadline')).toEqual(['payment.failed', 'payment.pending']);
  });
});
