/** Payment transactions in memory, for tests of the workers built from fakes; the writes asked for are kept. */
import { createPendingTransaction, type Transaction, type Transition } from '../../functions/core/transaction.ts';
import type { WriteOutcome } from '../../functions/core/write-outcome.ts';
import type { Orders } from '../../functions/orders/ports.ts';
import type { CommandReceipt, QueueCommand, SealedCard, Transactions } from '../../functions/payments/ports.ts';

/** A pending automatic-capture payment of 10.00 EUR, created at `created`. */
export function pendingTransaction(id: string, created: Date): Transaction {
  return createPendingTransaction(
    {
      id,
      merchantId: 'mer_a',
      amount: 1000,
      currency: 'EUR',
      captureMethod: 'automatic',
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, fingerprint: 'fp_1' },
    },
    created,
  ).transaction;
}

/** The orders of payments made for none: reading finds nothing, and a write is a test's mistake. */
export const noOrders: Orders = {
  create: () => Promise.reject(new Error('no order in these payments')),
  apply: () => Promise.reject(new Error('no order in these payments')),
  get: async () => undefined,
  getOwned: async () => undefined,
};

export class MemoryTransactions implements Transactions {
  readonly applied: { transition: Transition; commands: readonly QueueCommand[]; receipt: CommandReceipt | undefined }[] = [];
  readonly acknowledged: { transactionId: string; outboxEntry: string | undefined }[] = [];
  readonly republished: string[] = [];
  private readonly stored = new Map<string, { transaction: Transaction; sealedCard: SealedCard }>();

  /** Each transaction with its card number sealed as `sealed:<number>`. */
  constructor(transactions: readonly Transaction[], cardNumber = '4242424242424242') {
    for (const transaction of transactions) this.stored.set(transaction.id, { transaction, sealedCard: { number: `sealed:${cardNumber}` } });
  }

  async get(transactionId: string): Promise<{ transaction: Transaction; sealedCard: SealedCard } | undefined> {
    return this.stored.get(transactionId);
  }

  /** Written on the condition that nobody changed the transaction meanwhile, as the repository writes. */
  async apply(
    previous: Transaction,
    transition: Transition,
    commands: readonly QueueCommand[] = [],
    receipt?: CommandReceipt,
  ): Promise<WriteOutcome> {
    const current = this.stored.get(previous.id);
    if (current === undefined || current.transaction.version !== previous.version) return 'condition_failed';
    this.stored.set(previous.id, { ...current, transaction: transition.transaction });
    this.applied.push({ transition, commands, receipt });
    return 'written';
  }

  async acknowledge(previous: Transaction, receipt: CommandReceipt): Promise<void> {
    this.acknowledged.push({ transactionId: previous.id, outboxEntry: receipt.outboxEntry });
  }

  async republish(transactionId: string): Promise<void> {
    this.republished.push(transactionId);
  }

  create(): never {
    throw new Error('no worker creates a transaction');
  }

  getOwned(): never {
    throw new Error('no worker reads a transaction by merchant');
  }
}
