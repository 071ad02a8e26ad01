/**
 * Transactions in DynamoDB. Every change goes through the outbox: the new state, the events it produces and
 * the queue commands it causes are one conditional write on the transaction's version; then they are published.
 * Sealed card data lives on the item beside the transaction and never leaves this module except to the vault.
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newId } from '../core/ids.ts';
import { crashPoint } from '../fault-injection.ts';
import type { Transaction, TransactionStatus, Transition } from '../core/transaction.ts';
import { customerPartition, indexNames, keys, ownerPartition } from './keys.ts';
import { OutboxStore, commandEntry, eventEntry, type OutboxEntry, type WriteOutcome } from './outbox.ts';
import type { QueueCommand, SealedCard, Transactions } from '../payments/ports.ts';

export interface TransactionPage {
  readonly transactions: readonly Transaction[];
  /** The id to continue after, when there may be more. */
  readonly lastId: string | undefined;
}

export interface ListFilter {
  readonly merchantId: string;
  readonly customerId?: string;
  readonly status?: TransactionStatus;
  /** Sort-key bounds: ids are ULIDs, so these are creation-time bounds. */
  readonly idFrom?: string;
  readonly idBefore?: string;
  readonly startingAfter?: string;
  readonly limit: number;
}

/** Attributes of the item that are not the transaction itself. */
const ITEM_ONLY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'outbox',
  'outbox_pending',
  'outbox_at',
  'sealed_number',
  'sealed_record_id',
  'sealed_cvc',
] as const;

export class TransactionRepository implements Transactions {
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
        gsi1pk: ownerPartition.transactions(txn.merchantId),
        gsi1sk: txn.id,
        ...(txn.customerId === undefined
          ? {}
          : { gsi2pk: customerPartition.transactions(txn.merchantId, txn.customerId), gsi2sk: txn.id }),
        ...withoutVersion(txn),
        sealed_number: sealedCard.number,
        ...(sealedCard.recordId === undefined ? {} : { sealed_record_id: sealedCard.recordId }),
        ...(sealedCard.cvc === undefined ? {} : { sealed_cvc: sealedCard.cvc }),
      },
      entries,
    );
    crashPoint('transactions.after-create');
    if (outcome === 'written') await this.outbox.publish(keys.transaction(txn.id), entries);
    return outcome;
  }

  /**
   * Applies a transition computed from `previous`, on the condition that nobody changed it meanwhile.
   * Leaving `pending` deletes the sealed CVC in the same write: it never outlives authorization.
   */
  async apply(previous: Transaction, transition: Transition, commands: readonly QueueCommand[] = []): Promise<WriteOutcome> {
    if (transition.transaction === previous) return 'written';
    const next = transition.transaction;
    const entries = this.entriesFor(transition, commands);
    const outcome = await this.outbox.update({
      key: keys.transaction(next.id),
      set: withoutVersion(next),
      remove: next.status === 'pending' ? [] : ['sealed_cvc'],
      expectedVersion: previous.version,
      entries,
    });
    if (outcome === 'written') await this.outbox.publish(keys.transaction(next.id), entries);
    return outcome;
  }

  async get(transactionId: string): Promise<{ transaction: Transaction; sealedCard: SealedCard } | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.transaction(transactionId), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    return {
      transaction: toTransaction(Item),
      sealedCard: {
        number: String(Item.sealed_number),
        ...(Item.sealed_record_id === undefined ? {} : { recordId: String(Item.sealed_record_id) }),
        ...(Item.sealed_cvc === undefined ? {} : { cvc: String(Item.sealed_cvc) }),
      },
    };
  }

  /** The transaction if it exists AND belongs to the merchant; otherwise undefined, indistinguishably. */
  async getOwned(merchantId: string, transactionId: string): Promise<Transaction | undefined> {
    const stored = await this.get(transactionId);
    return stored?.transaction.merchantId === merchantId ? stored.transaction : undefined;
  }

  /** A merchant's transactions, newest first, by key or index only. */
  async list(filter: ListFilter): Promise<TransactionPage> {
    const byCustomer = filter.customerId !== undefined;
    const partition = byCustomer
      ? customerPartition.transactions(filter.merchantId, filter.customerId ?? '')
      : ownerPartition.transactions(filter.merchantId);
    const [pkName, skName] = byCustomer ? ['gsi2pk', 'gsi2sk'] : ['gsi1pk', 'gsi1sk'];
    // Newest first: the upper bound is the exclusive cursor or `idBefore`, whichever is lower.
    const upper = [filter.startingAfter, filter.idBefore].filter((id): id is string => id !== undefined).sort()[0];
    const conditions = ['#pk = :pk'];
    const values: Record<string, unknown> = { ':pk': partition };
    if (upper !== undefined && filter.idFrom !== undefined) {
      conditions.push('#sk BETWEEN :from AND :upper');
      values[':from'] = filter.idFrom;
      values[':upper'] = upper;
    } else if (upper !== undefined) {
      conditions.push('#sk < :upper');
      values[':upper'] = upper;
    } else if (filter.idFrom !== undefined) {
      conditions.push('#sk >= :from');
      values[':from'] = filter.idFrom;
    }
    const names: Record<string, string> = { '#pk': pkName };
    if (conditions.length > 1) names['#sk'] = skName;
    if (filter.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }

    const transactions: Transaction[] = [];
    let startKey: Record<string, unknown> | undefined;
    // A status filter is applied after the key condition, so a page may need more than one query.
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: byCustomer ? indexNames.byCustomer : indexNames.byOwner,
          KeyConditionExpression: conditions.join(' AND '),
          ...(filter.status === undefined ? {} : { FilterExpression: '#status = :status' }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filter.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        // BETWEEN is inclusive; the cursor and `idBefore` are exclusive bounds.
        if (upper !== undefined && item[skName] === upper) continue;
        transactions.push(toTransaction(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && transactions.length <= filter.limit);

    const more = transactions.length > filter.limit;
    const pageItems = transactions.slice(0, filter.limit);
    return { transactions: pageItems, lastId: more ? pageItems[pageItems.length - 1]?.id : undefined };
  }

  private entriesFor(transition: Transition, commands: readonly QueueCommand[]): OutboxEntry[] {
    const created = this.clock().toISOString();
    const merchantId = transition.transaction.merchantId;
    return [
      ...transition.events.map((event) =>
        eventEntry({ id: newId('event'), type: event.type, merchantId, created, data: { ...event.data } }),
      ),
      ...commands.map((command) => commandEntry(command.queue, command.body)),
    ];
  }
}

function withoutVersion(txn: Transaction): Record<string, unknown> {
  const { version: _version, ...rest } = txn;
  return rest;
}

function toTransaction(item: Record<string, unknown>): Transaction {
  const copy: Record<string, unknown> = { ...item };
  for (const attribute of ITEM_ONLY_ATTRIBUTES) delete copy[attribute];
  return copy as unknown as Transaction;
}
