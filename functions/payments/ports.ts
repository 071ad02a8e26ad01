/**
 * What the payment use cases need from the outside world. The DynamoDB repository, the KMS vault and the
 * processor adapters implement these; tests may substitute their own.
 */
import type { QueueName } from '../../lib/topology.ts';
import type { Transaction, TransactionStatus, Transition } from '../core/transaction.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';

export type { CardFingerprinter, CardVault } from '../core/vault.ts';

export interface SealedCard {
  readonly number: string;
  /**
   * The record `number` was sealed for, when it is not the transaction itself: a saved card's `pm_...`, whose
   * ciphertext the transaction reuses (the API cannot decrypt, so it cannot re-seal). Same merchant, so the
   * same KMS encryption context opens it.
   */
  readonly recordId?: string;
  /**
   * Sealed for the transaction. Never stored with it (the table's backups would keep it for weeks): it rides
   * in the authorization command's message only, and dies with it. Items written before that may hold one;
   * their authorization deletes it.
   */
  readonly cvc?: string;
}

export interface QueueCommand {
  readonly queue: QueueName;
  readonly body: Record<string, unknown>;
}

/**
 * Given by a queue consumer to the write its message causes: the message's outbox entry, when it names one
 * (the outbox's messages do). Its presence says the write is a consumer's, which a crash repeats by itself.
 */
export interface CommandReceipt {
  readonly outboxEntry: string | undefined;
}

/** A command message as its consumer received it. */
export interface ReceivedCommand extends CommandReceipt {
  readonly transactionId: string;
  /** The sealed CVC an authorization command carries, when the card was typed in with one. */
  readonly sealedCvc?: string | undefined;
  /**
   * Received before (SQS's receive count above 1): its earlier consumer may have died after its write and
   * before publishing it. A first receive that finds its work done is a duplicate, with nothing to repeat.
   */
  readonly redelivered: boolean;
}

export interface Transactions {
  create(transition: Transition, sealedCard: SealedCard, commands: readonly QueueCommand[]): Promise<WriteOutcome>;
  apply(previous: Transaction, transition: Transition, commands?: readonly QueueCommand[], receipt?: CommandReceipt): Promise<WriteOutcome>;
  /** Publishes again what the transaction's latest write recorded (a consumer's message came back). */
  republish(transactionId: string): Promise<void>;
  /** A consumer that cannot finish yet holds the command of `previous`'s outbox: its message carries the work. */
  acknowledge(previous: Transaction, receipt: CommandReceipt): Promise<void>;
  get(transactionId: string): Promise<{ transaction: Transaction; sealedCard: SealedCard } | undefined>;
  getOwned(merchantId: string, transactionId: string): Promise<Transaction | undefined>;
}

/** A merchant's transactions, newest first, a page at a time. */
export interface TransactionList {
  list(filter: ListFilter): Promise<TransactionPage>;
}

export interface ListFilter {
  readonly merchantId: string;
  readonly customerId?: string;
  readonly status?: TransactionStatus;
  /** Id bounds: ids are ULIDs, so these are creation-time bounds. */
  readonly idFrom?: string;
  readonly idBefore?: string;
  readonly startingAfter?: string;
  readonly limit: number;
}

export interface TransactionPage {
  readonly transactions: readonly Transaction[];
  /** The id to continue after, when there may be more. */
  readonly lastId: string | undefined;
}

/** The message on the authorization and settlement queues. Ids only: never card data. */
export interface TransactionMessage {
  readonly transaction_id: string;
  /** The outbox entry the message was sent from (outbox.ts `OUTBOX_ENTRY_FIELD`). */
  readonly outbox_entry?: string;
  /**
   * Authorization only: the sealed CVC, added by the relay right after the create and never stored. A command
   * sent again by the sweep (its writer died first) has none, and the payment is authorized without its CVC.
   */
  readonly sealed_cvc?: string;
}

export const authorizeCommand = (transactionId: string): QueueCommand => ({
  queue: 'authorization',
  body: { transaction_id: transactionId } satisfies TransactionMessage,
});

export const settleCommand = (transactionId: string): QueueCommand => ({
  queue: 'settlement',
  body: { transaction_id: transactionId } satisfies TransactionMessage,
});
