import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KmsCardVault } from '../../functions/adapters/card-vault.ts';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { SandboxProcessor } from '../../functions/adapters/sandbox-processor.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { newId } from '../../functions/core/ids.ts';
import type { AuthorizationRequest, CardProcessor } from '../../functions/core/processor.ts';
import { authorizePayment } from '../../functions/payments/authorize-payment.ts';
import { capturePayment, refundPayment, settlePayment } from '../../functions/payments/change-payment.ts';
import { createPayment } from '../../functions/payments/create-payment.ts';
import type { TestTable } from '../support/dynamo.ts';
import { startPaymentStack, type PaymentStack } from '../support/payment-stack.ts';
import type { RecordingQueueSender } from '../support/recording-queue.ts';

describe('payment lifecycle on the embedded DynamoDB and KMS', () => {
  let table: TestTable;
  let stack: PaymentStack;
  let queue: RecordingQueueSender;
  let transactions: TransactionRepository;
  let customers: CustomerRepository;
  let orders: OrderRepository;
  let vault: KmsCardVault;
  let processorCalls: AuthorizationRequest[];
  let processor: CardProcessor;
  const now = () => new Date();

  beforeAll(async () => {
    stack = await startPaymentStack();
    ({ table, queue, transactions, customers, orders, vault } = stack);
    const sandbox = new SandboxProcessor();
    processorCalls = [];
    processor = { authorize: (request) => (processorCalls.push(request), sandbox.authorize(request)) };
  });
  afterAll(() => stack.close());

  const create = (merchantId: string, body: Record<string, unknown> = {}) =>
    createPayment(
      { transactions, customers, orders, vault, fingerprints: { fingerprint: async () => 'fp_test' }, defaultCurrency: async () => 'USD', now },
      {
        merchantId,
        body: { amount: 2500, card_number: '4242 4242 4242 4242', expiration_date: '2030-12-31', cvc: '123', capture: true, ...body },
        newId,
      },
    );
  const eventTypesOf = (transactionId: string) => queue.eventTypes({ transactionId });
  const authorization = (transactionId: string, redelivered = false) => queue.commandFor('authorization', transactionId, { redelivered });
  const settlement = (transactionId: string) => queue.commandFor('settlement', transactionId);

  it('a worker that dies between the processor answer and the write, then is redelivered, authorizes once', async () => {
    const txn = await create('mer_crash');
    const crashOnce = () => {
      throw new Error('killed after the processor answered');
    };

    await expect(
      authorizePayment({ transactions, orders, vault, processor, now, afterProcessorAnswered: crashOnce }, authorization(txn.id)),
    ).rejects.toThrow('killed');
    const redelivered = await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id, true));
    const again = await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id, true));
    const sentBeforeDuplicate = queue.sent.length;
    const duplicate = await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id, false));

    expect(redelivered).toBe('recorded');
    expect(again).toBe('already_recorded');
    // A first receive that finds the work done is a duplicate (the sweep's, say): there is nothing to repeat.
    expect(duplicate).toBe('already_recorded');
    expect(queue.sent.length).toBe(sentBeforeDuplicate);
    expect(processorCalls.filter((call) => call.reference === txn.id)).toHaveLength(2);
    expect(eventTypesOf(txn.id)).toEqual(['payment.authorized', 'payment.captured', 'payment.pending']);
    const stored = await transactions.get(txn.id);
    expect(stored?.transaction).toMatchObject({ status: 'captured', amountCaptured: 2500, version: 2 });
    expect(stored?.sealedCard.cvc).toBeUndefined();
    // One settlement command, sent twice: by the write's relay, and by the redelivery that found it recorded.
    const settlements = queue.sent.filter((m) => m.queue === 'settlement' && JSON.stringify(m.body).includes(txn.id));
    expect(settlements).toHaveLength(2);
    expect(new Set(settlements.map((m) => JSON.stringify(m.body))).size).toBe(1);
  });

  it('keeps the sealed CVC out of the table (and its backups): it rides in the authorization message only', async () => {
    const txn = await create('mer_cvc');
    const stored = await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.transaction(txn.id) }));
    const message = queue.sent.find((sent) => sent.queue === 'authorization' && JSON.stringify(sent.body).includes(txn.id));

    await authorizePayment({ transactions, orders, vault, processor, now }, queue.commandFor('authorization', txn.id, { redelivered: false }));

    expect(stored.Item?.sealed_cvc).toBeUndefined();
    expect(JSON.stringify(stored.Item)).not.toContain('4242424242424242');
    expect(JSON.stringify(stored.Item)).not.toMatch(/"123"/);
    const sealedCvc = (message?.body as { sealed_cvc?: string } | undefined)?.sealed_cvc;
    expect(sealedCvc).toMatch(/^v2\./);
    expect(JSON.stringify(message?.body)).not.toMatch(/"123"/);
    expect(processorCalls.find((call) => call.reference === txn.id)?.card.cvc).toBe('123');
  });

  it('authorizes without the CVC when the command was sent again by the sweep (its writer died before sending it)', async () => {
    const txn = await create('mer_swept');
    const swept = { transactionId: txn.id, outboxEntry: undefined, redelivered: false };

    expect(await authorizePayment({ transactions, orders, vault, processor, now }, swept)).toBe('recorded');
    expect(processorCalls.find((call) => call.reference === txn.id)?.card.cvc).toBeUndefined();
  });

  it('a manual capture, a partial refund and settlement each apply once however often they are retried', async () => {
    const txn = await create('mer_manual', { capture: false, amount: 4000 });
    await authorizePayment({ transactions, orders, vault, processor, now }, authorization(txn.id));

    await capturePayment({ transactions, orders, now }, 'mer_manual', txn.id, 3000);
    const refundId = newId('refund');
    await refundPayment({ transactions, now }, 'mer_manual', txn.id, { id: refundId, amount: 500 });
    await refundPayment({ transactions, now }, 'mer_manual', txn.id, { id: refundId, amount: 500 });
    const settled = await Promise.all([
      settlePayment({ transactions, orders, now }, settlement(txn.id)),
      settlePayment({ transactions, orders, now }, settlement(txn.id)),
    ]);

    expect(settled.sort()).toEqual(['settled', 'skipped']);
    const stored = await transactions.get(txn.id);
    expect(stored?.transaction).toMatchObject({ status: 'settled', amountCaptured: 3000, amountRefunded: 500 });
    expect(eventTypesOf(txn.id)).toEqual([
      'payment.authorized',
      'payment.captured',
      'payment.pending',
      'payment.refunded',
      'payment.settled',
    ]);
  });

  it("hides another merchant's transaction from every change", async () => {
    const txn = await create('mer_owner', { capture: false });

    await expect(capturePayment({ transactions, orders, now }, 'mer_intruder', txn.id, undefined)).rejects.toMatchObject({
      code: 'resource_missing',
    });
    expect((await transactions.get(txn.id))?.transaction.status).toBe('pending');
  });
});
