/**
 * Transactions in DynamoDB. Every change goes through the outbox (outbox.ts): the new state, the events it
 * produces and the queue commands it causes are one conditional write on the transaction's version; then they
 * are published. Sealed card data lives on the item beside the transaction and never leaves this module
 * except to the vault.
 *
 * The item is kept small, because every change rewrites it: its events are stored compact (only what differs
 * from the transaction as written, which is usually nothing) and its outbox holds only the entries of its
 * latest write. The listing indexes keep keys only and are written once, when the transaction is created.
 */
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { crashPoint } from '../fault-injection.ts';
import {
  captureMethods,
  toPublicTransaction,
  transactionStatuses,
  type Refund,
  type Transaction,
  type Transition,
} from '../core/transaction.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';
import {
  TRANSACTION_SHARDS,
  customerPartition,
  indexNames,
  keys,
  merchantPartition,
  newEventIdAbout,
  transactionShardOf,
} from './keys.ts';
import {
  OutboxStore,
  commandEntry,
  parseOutbox,
  isConsumedBatch,
  type EventEntry,
  type OutboxEntry,
} from './outbox.ts';
import type { CommandReceipt, ListFilter, QueueCommand, SealedCard, TransactionList, TransactionPage, Transactions } from '../payments/ports.ts';
import { BATCH_GET_LIMIT, untilProcessed } from './batch-requests.ts';
import { NewestFirstMerge, type ShardReader } from './newest-first.ts';
import { storedCard } from './card-item.ts';
import { itemSchemaOf, parseItem } from './item-schema.ts';

/** The transaction as its item holds it; the item's other attributes (keys, outbox, sealed data) are left out. */
const storedTransaction = itemSchemaOf<Transaction>()(
  z.object({
    id: z.string(),
    merchantId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(transactionStatuses),
    amountCaptured: z.number().int(),
    amountRefunded: z.number().int(),
    captureMethod: z.enum(captureMethods),
    customerId: z.string().optional(),
    orderId: z.string().optional(),
    description: z.string().optional(),
    metadata: z.record(z.string(), z.string()),
    card: storedCard,
    authorizationCode: z.string().optional(),
    declineCode: z.string().optional(),
    failureCode: z.string().optional(),
    refunds: z.array(itemSchemaOf<Refund>()(z.object({ id: z.string(), amount: z.number().int(), createdAt: z.string() }))),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  }),
);

/** The transaction with its sealed card data, as `get` reads it for the workers and the vault. */
const storedTransactionWithCard = storedTransaction.extend({
  sealed_number: z.string(),
  sealed_record_id: z.string().optional(),
  sealed_cvc: z.string().optional(),
});

/**
 * A compact event's data made whole from the item it was written with: the transaction as written, with
 * what differed at the event (e.g. `payment.authorized` of a payment captured in the same write).
 */
export function expandTransactionEvent(item: Record<string, unknown>, entry: EventEntry): Record<string, unknown> {
  return wholeEventData(toTransaction(item), entry);
}

function wholeEventData(txn: Transaction, entry: EventEntry): Record<string, unknown> {
  return { ...toPublicTransaction(txn), ...entry.data };
}

export class TransactionRepository implements Transactions, TransactionList {
  /** The outbox each transaction handed out by `get` was read with: what a change of it must account for. */
  private readonly outboxRead = new WeakMap<Transaction, { readonly entries: readonly OutboxEntry[]; readonly marked: boolean }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly outbox: OutboxStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the transaction unless one with its id exists ('condition_failed': a retried request). */
  async create(transition: Transition, sealedCard: SealedCard, commands: readonly QueueCommand[]): Promise<WriteOutcome> {
    const txn = transition.transaction;
    const entries = this.entriesFor(transition, commands);
    const outcome = await this.outbox.create(
      {
        ...keys.transaction(txn.id),
        gsi3pk: merchantPartition.transactions(txn.merchantId, transactionShardOf(txn.id)),
        gsi3sk: txn.id,
        ...(txn.customerId === undefined
          ? {}
          : { gsi2pk: customerPartition.transactions(txn.merchantId, txn.customerId), gsi2sk: txn.id }),
        ...withoutVersion(txn),
        sealed_number: sealedCard.number,
        ...(sealedCard.recordId === undefined ? {} : { sealed_record_id: sealedCard.recordId }),
      },
      entries,
    );
    crashPoint('transactions.after-create');
    // Its authorization command's consumer takes the entries out; nothing to clear here. The sealed CVC goes
    // in the command's message and nowhere else (ports.ts `SealedCard`).
    if (outcome === 'written') await this.outbox.publish(withSealedCvc(expandFor(txn, entries), sealedCard.cvc));
    return outcome;
  }

  /**
   * Applies a transition computed from `previous`, on the condition that nobody changed it meanwhile.
   * Leaving `pending` deletes a sealed CVC that an item written before the CVC rode only in its message
   * still holds, in the same write: it never outlives authorization.
   *
   * `receipt` is given by a queue consumer: its write needs no sweep marker (a crash brings the message back,
   * and `republish` then sends what it wrote), and if the outbox it read holds the batch of the command it
   * consumed, that batch is published and is simply replaced. Entries it cannot prove published it publishes
   * first, so an item's outbox only ever holds the entries of its latest write.
   */
  async apply(
    previous: Transaction,
    transition: Transition,
    commands: readonly QueueCommand[] = [],
    receipt?: CommandReceipt,
  ): Promise<WriteOutcome> {
    if (transition.transaction === previous) return 'written';
    const next = transition.transaction;
    const outboxAtPrevious = this.outboxRead.get(previous) ?? (await this.readOutbox(previous));
    // Changed since `previous` was read: the conditional write below would fail, so publish nothing read now.
    if (outboxAtPrevious === undefined) return 'condition_failed';
    const read = outboxAtPrevious.entries;
    const consumed = isConsumedBatch(read, receipt?.outboxEntry);
    const unproven = read.filter((entry) => !(consumed && (entry.kind === 'event' || entry.id === receipt?.outboxEntry)));
    if (unproven.length > 0) await this.outbox.publish(expandFor(previous, unproven));
    const entries = this.entriesFor(transition, commands);
    const sweepable = receipt === undefined;
    const outcome = await this.outbox.update({
      key: keys.transaction(next.id),
      set: withoutVersion(next),
      remove: next.status === 'pending' ? [] : ['sealed_cvc'],
      expectedVersion: previous.version,
      entries,
      replaces: read.map((entry) => entry.id),
      sweepable,
    });
    if (outcome !== 'written') return outcome;
    crashPoint('transactions.after-apply');
    await this.outbox.publish(expandFor(next, entries));
    // A command's consumer takes out its batch; a consumer's own entries stay until the next write, which
    // finds them unproven and publishes them again (idempotently) — cheaper than a clear on every payment.
    if (sweepable && !entries.some((entry) => entry.kind === 'command')) {
      await this.outbox.clear(keys.transaction(next.id), entries, previous.version + 1);
    }
    return outcome;
  }

  /**
   * Tells the outbox that the consumer of the batch's command has its message, which now carries the work
   * (it comes back until it succeeds, or goes to the DLQ): the sweep need not send that batch again. Without
   * this, a payment waiting out an acquirer outage would be sent again every sweep for hours.
   */
  async acknowledge(previous: Transaction, receipt: CommandReceipt): Promise<void> {
    const read = this.outboxRead.get(previous);
    if (read === undefined || !read.marked || !isConsumedBatch(read.entries, receipt.outboxEntry)) return;
    await this.outbox.unmark(keys.transaction(previous.id), previous.version);
  }

  /** Publishes again what the transaction's last write recorded: for a consumer whose message came back. */
  async republish(transactionId: string): Promise<void> {
    await this.outbox.publishPending(keys.transaction(transactionId), expandTransactionEvent);
  }

  async get(transactionId: string): Promise<{ transaction: Transaction; sealedCard: SealedCard } | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.transaction(transactionId), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { sealed_number, sealed_record_id, sealed_cvc, ...transaction } = parseItem(storedTransactionWithCard, Item, 'transaction');
    const { entries, marked } = parseOutbox(Item);
    this.outboxRead.set(transaction, { entries, marked });
    return {
      transaction,
      sealedCard: {
        number: sealed_number,
        ...(sealed_record_id === undefined ? {} : { recordId: sealed_record_id }),
        ...(sealed_cvc === undefined ? {} : { cvc: sealed_cvc }),
      },
    };
  }

  /** The transaction if it exists AND belongs to the merchant; otherwise undefined, indistinguishably. */
  async getOwned(merchantId: string, transactionId: string): Promise<Transaction | undefined> {
    const stored = await this.get(transactionId);
    return stored?.transaction.merchantId === merchantId ? stored.transaction : undefined;
  }

  /**
   * A merchant's (or one customer's) transactions, newest first, by key or index only: the keys come from
   * the keys-only index, the transactions from one BatchGetItem per page. A merchant's list merges the
   * shards of the byMerchant index (newest-first.ts). A status filter applies to the transactions read,
   * so a page may take more than one round.
   */
  async list(filter: ListFilter): Promise<TransactionPage> {
    const upper = [filter.startingAfter, filter.idBefore].filter((id): id is string => id !== undefined).sort()[0];
    // An empty range (a lower bound at or past the upper one) holds nothing, and DynamoDB refuses the query.
    if (upper !== undefined && filter.idFrom !== undefined && filter.idFrom >= upper) return { transactions: [], lastId: undefined };
    // A page needs at most one more id than it shows from any one shard; a status filter may need more rounds.
    const bounds = { from: filter.idFrom, upper, pageSize: filter.limit + 1 };
    const readers =
      filter.customerId === undefined
        ? Array.from({ length: TRANSACTION_SHARDS }, (_, shard) =>
            this.keysReader(indexNames.byMerchant, 'gsi3pk', 'gsi3sk', merchantPartition.transactions(filter.merchantId, shard), bounds),
          )
        : [this.keysReader(indexNames.byCustomer, 'gsi2pk', 'gsi2sk', customerPartition.transactions(filter.merchantId, filter.customerId), bounds)];
    const merged = new NewestFirstMerge(readers, (id: string) => id);
    const transactions: Transaction[] = [];
    // One more than a page, to know whether there is a next one.
    while (transactions.length <= filter.limit) {
      const ids = await merged.take(filter.limit + 1 - transactions.length);
      if (ids.length === 0) break;
      const read = await this.readMany(ids);
      transactions.push(...read.filter((txn) => filter.status === undefined || txn.status === filter.status));
    }
    const more = transactions.length > filter.limit;
    const pageItems = transactions.slice(0, filter.limit);
    return { transactions: pageItems, lastId: more ? pageItems[pageItems.length - 1]?.id : undefined };
  }

  /** Reads one partition of a keys-only index newest first, between the bounds (`upper` exclusive). */
  private keysReader(
    indexName: string,
    pkName: string,
    skName: string,
    partition: string,
    { from, upper, pageSize }: { from: string | undefined; upper: string | undefined; pageSize: number },
  ): ShardReader<string> {
    const conditions = ['#pk = :pk'];
    const values: Record<string, unknown> = { ':pk': partition };
    if (upper !== undefined && from !== undefined) {
      conditions.push('#sk BETWEEN :from AND :upper');
      values[':from'] = from;
      values[':upper'] = upper;
    } else if (upper !== undefined) {
      conditions.push('#sk < :upper');
      values[':upper'] = upper;
    } else if (from !== undefined) {
      conditions.push('#sk >= :from');
      values[':from'] = from;
    }
    const names: Record<string, string> = { '#pk': pkName };
    if (conditions.length > 1) names['#sk'] = skName;
    return async (startKey) => {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      const ids = (page.Items ?? [])
        .map((item) => String(item[skName]))
        // BETWEEN is inclusive; the cursor and `idBefore` are exclusive bounds.
        .filter((id) => id !== upper);
      return { items: ids, nextKey: page.LastEvaluatedKey };
    };
  }

  /** The transactions with these ids, in the order given (strongly consistent, like every read here). */
  private async readMany(ids: readonly string[]): Promise<Transaction[]> {
    const found = new Map<string, Transaction>();
    for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
      const keysToRead = ids.slice(start, start + BATCH_GET_LIMIT).map((id): Record<string, unknown> => ({ ...keys.transaction(id) }));
      await untilProcessed(keysToRead, async (pending) => {
        const response: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: [...pending], ConsistentRead: true } } }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const txn = toTransaction(item);
          found.set(txn.id, txn);
        }
        return response.UnprocessedKeys?.[this.tableName]?.Keys;
      });
    }
    return ids.map((id) => found.get(id)).filter((txn): txn is Transaction => txn !== undefined);
  }

  /**
   * The write's outbox entries: its events, compact (each keeps only what differs from the transaction as
   * written), each in the event shard of this transaction; then its commands.
   */
  private entriesFor(transition: Transition, commands: readonly QueueCommand[]): OutboxEntry[] {
    const created = this.clock().toISOString();
    const txn = transition.transaction;
    const written = toPublicTransaction(txn) as Record<string, unknown>;
    return [
      ...transition.events.map(
        (event): EventEntry => ({
          kind: 'event',
          id: newEventIdAbout(txn.id),
          type: event.type,
          merchantId: txn.merchantId,
          created,
          data: differences(event.data, written),
          compact: true,
        }),
      ),
      ...commands.map((command) => commandEntry(command.queue, command.body)),
    ];
  }

  /** The outbox of a transaction not handed out by `get`, if the item is still at its version. */
  private async readOutbox(txn: Transaction): Promise<{ entries: readonly OutboxEntry[]; marked: boolean } | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.transaction(txn.id),
        ConsistentRead: true,
        ProjectionExpression: 'outbox, outbox_pending, merchantId, version',
      }),
    );
    if (Item === undefined) return undefined;
    const { entries, version, marked } = parseOutbox(Item);
    return version === txn.version ? { entries, marked } : undefined;
  }
}

/** The transaction's compact events made whole, from the transaction they were written with. */
function expandFor(txn: Transaction, entries: readonly OutboxEntry[]): OutboxEntry[] {
  return entries.map((entry) => (entry.kind === 'event' && entry.compact === true ? { ...entry, data: wholeEventData(txn, entry) } : entry));
}

/** The authorization command of `entries` carrying the sealed CVC, for the message only. */
function withSealedCvc(entries: readonly OutboxEntry[], sealedCvc: string | undefined): OutboxEntry[] {
  if (sealedCvc === undefined) return [...entries];
  return entries.map((entry) =>
    entry.kind === 'command' && entry.queue === 'authorization' ? { ...entry, body: { ...entry.body, sealed_cvc: sealedCvc } } : entry,
  );
}

/** The top-level fields of `data` whose value differs from `base`'s (compared as JSON). */
function differences(data: object, base: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(data).filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(base[field])),
  );
}

function withoutVersion(txn: Transaction): Omit<Transaction, 'version'> {
  const { version: _version, ...rest } = txn;
  return rest;
}

function toTransaction(item: Record<string, unknown>): Transaction {
  return parseItem(storedTransaction, item, 'transaction');
}
