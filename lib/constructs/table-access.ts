/**
 * Which items of the single table each function may read and write, by kind, and which index partitions it
 * may query: the one description the functions' IAM grants are built from (`dynamodb:LeadingKeys` conditions,
 * lib/constructs/gateway-function.ts). The patterns come from functions/adapters/keys.ts itself, the only place
 * keys are built, by calling each key builder with `*` for its ids: `keys.transaction('*').pk` is `TXN#*`.
 *
 * A function that starts touching another kind of item needs it listed here, or IAM refuses the call in the
 * cloud (nothing enforces IAM locally). test/infra/table-access.test.ts runs the gateway through every route and
 * worker, records each function's DynamoDB calls, and fails on one these grants would refuse.
 */
import { customerPartition, eventPartition, keys, merchantPartition, ownerPartition, type ItemKey } from '../../functions/adapters/keys.ts';
import type { FunctionName } from '../topology.ts';

/** A kind of item, named as functions/adapters/keys.ts names its key builder. */
export type ItemKind = keyof typeof keys;

export interface TableAccess {
  /** Items it reads (GetItem, BatchGetItem, Query on the table). The items it writes it may read too. */
  readonly read?: readonly ItemKind[];
  /** Items it puts, updates or deletes. Only for a function whose topology access is `readwrite`. */
  readonly write?: readonly ItemKind[];
  /** Partitions of the byOwner index it queries: a merchant's resources of one kind. */
  readonly byOwner?: readonly (keyof typeof ownerPartition)[];
  /** Partitions of the byCustomer index it queries. */
  readonly byCustomer?: readonly (keyof typeof customerPartition)[];
  /** Partitions (every shard) of the byMerchant index it queries. */
  readonly byMerchant?: readonly (keyof typeof merchantPartition)[];
  /** The sparse outbox index, all of it: it projects only keys and an age, and its shards are the outbox's own. */
  readonly outbox?: 'whole index';
}

const api: readonly ItemKind[] = ['idempotency'];
/** Functions that fingerprint cards make the fingerprint key on first use, whichever comes first. */
const fingerprintKey: readonly ItemKind[] = ['config'];
/** Functions that seal cards store each data key they make (encrypted), once a day. */
const sealing: readonly ItemKind[] = ['cardDataKey', ...fingerprintKey];
/** What recording a payment's change writes: the transaction and its order (its events go to the fan-out). */
const paymentChange: readonly ItemKind[] = ['transaction', 'order'];

export const tableAccess = {
  authorizer: { read: ['apiKey', 'session'] },
  // Its probe reads one small item (CONFIG#health).
  health: { read: ['config'] },
  merchants: { write: [...api, 'merchant', 'apiKey'], byOwner: ['apiKeys'] },
  payments: {
    read: ['merchant', 'customer', 'paymentMethod'],
    write: [...api, ...paymentChange, ...sealing],
  },
  transactions: { read: ['transaction'], byMerchant: ['transactions'], byCustomer: ['transactions'] },
  customers: { write: [...api, 'customer', 'paymentMethod', ...sealing] },
  orders: { read: ['merchant', 'customer'], write: [...api, 'order'] },
  // Events and their deliveries live in the merchant's event partitions of the table.
  events: { read: ['event'], write: api },
  // Opens the card data keys that the sealing functions stored.
  authorizeWorker: { read: ['cardDataKey'], write: paymentChange },
  settleWorker: { write: paymentChange },
  // Publishes what any outbox-carrying item left behind: transactions, customers and orders.
  outboxRelay: { write: ['transaction', 'customer', 'order'], outbox: 'whole index' },
  webhooks: { write: [...api, 'webhookEndpoint'], byOwner: ['webhookEndpoints'] },
  // Records events; a redelivery starts a new round of a delivery.
  webhookFanout: { write: ['event', 'webhookDelivery'], byOwner: ['webhookEndpoints'] },
  // Reads a batch's events, deliveries and endpoints; records attempts; a 410 Gone disables the endpoint.
  webhookDelivery: { read: ['event'], write: ['webhookDelivery', 'webhookEndpoint'] },
  sessions: { read: ['merchant', 'customer', 'order'], write: [...api, 'session'], byOwner: ['sessions'] },
  checkout: {
    read: ['merchant', 'customer', 'paymentMethod'],
    write: [...api, ...paymentChange, 'session', ...sealing],
    byOwner: ['sessions'],
  },
  wallet: {
    read: ['transaction'],
    write: [...api, 'customer', 'paymentMethod', 'session', ...sealing],
    byOwner: ['sessions'],
    byCustomer: ['transactions'],
  },
  // Reads transactions and each one's timeline (events and their deliveries); writes only to end its own session.
  console: { read: ['transaction', 'event'], write: ['session'], byOwner: ['sessions'], byMerchant: ['transactions'] },
} as const satisfies { readonly [Name in FunctionName]?: TableAccess };

/** Builds a key with `*` for every id: the IAM `StringLike` pattern of its kind of partition. */
function wildcard<Ids extends string[]>(build: (...ids: Ids) => string | ItemKey): string {
  const built = build(...(Array.from({ length: Math.max(build.length, 1) }, () => '*') as Ids));
  return typeof built === 'string' ? built : built.pk;
}

/** Kinds whose partition is a shard computed from an id: every shard of the merchant's. */
const shardedItems: Partial<Record<ItemKind, string>> = {
  event: eventPartition('*', '*'),
  webhookDelivery: eventPartition('*', '*'),
};

export const partitionPattern = {
  item: (kind: ItemKind): string => shardedItems[kind] ?? wildcard(keys[kind] as (...ids: string[]) => ItemKey),
  byMerchant: (kind: keyof typeof merchantPartition): string => merchantPartition[kind]('*', '*'),
  byOwner: (kind: keyof typeof ownerPartition): string => wildcard(ownerPartition[kind]),
  byCustomer: (kind: keyof typeof customerPartition): string => wildcard(customerPartition[kind]),
};

/** The access of a function in this description (none for a function that does not use the table). */
export function tableAccessOf(name: FunctionName): TableAccess | undefined {
  return (tableAccess as { readonly [Name in FunctionName]?: TableAccess })[name];
}
