/**
 * Every key of the single table, in one place. Repositories build keys only through these helpers,
 * so an access path is defined once (see README "Data model").
 */
import type { IndexName } from '../../lib/topology.ts';
import { laneOf, newIdInLane, spreadOf } from '../core/ids.ts';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const keys = {
  merchant: (merchantId: string): ItemKey => ({ pk: `MERCHANT#${merchantId}`, sk: 'MERCHANT' }),
  apiKey: (secretHash: string): ItemKey => ({ pk: `APIKEY#${secretHash}`, sk: 'APIKEY' }),
  transaction: (transactionId: string): ItemKey => ({ pk: `TXN#${transactionId}`, sk: 'TXN' }),
  /**
   * An event, in one of its merchant's `EVENT_SHARDS` event partitions (the shard is written into the event
   * id, see `eventShardOf`), so a merchant's events are listed without an index and no partition takes them all.
   */
  event: (merchantId: string, eventId: string): ItemKey => ({ pk: eventPartition(merchantId, eventShardOf(eventId)), sk: `EVT#${eventId}` }),
  /** Right after its event in the same partition, so one query reads an event and all its deliveries. */
  webhookDelivery: (merchantId: string, eventId: string, endpointId: string): ItemKey => ({
    pk: eventPartition(merchantId, eventShardOf(eventId)),
    sk: `EVT#${eventId}#DLV#${endpointId}`,
  }),
  webhookEndpoint: (endpointId: string): ItemKey => ({ pk: `WHE#${endpointId}`, sk: 'WHE' }),
  idempotency: (merchantId: string, idempotencyKey: string): ItemKey => ({
    pk: `IDEM#${merchantId}#${idempotencyKey}`,
    sk: 'IDEM',
  }),
  /** The customer, with the ids of its attached cards and its default: one item, so one write changes them. */
  customer: (customerId: string): ItemKey => ({ pk: `CUS#${customerId}`, sk: 'CUS' }),
  paymentMethod: (paymentMethodId: string): ItemKey => ({ pk: `PM#${paymentMethodId}`, sk: 'PM' }),
  order: (orderId: string): ItemKey => ({ pk: `ORD#${orderId}`, sk: 'ORD' }),
  config: (name: string): ItemKey => ({ pk: `CONFIG#${name}`, sk: 'CONFIG' }),
  /**
   * One card data key, encrypted under KMS: the key one sealing container made for a merchant and UTC day
   * (`YYYYMMDD`), named by a random reference (`ref`) that every value sealed under it carries. Written once
   * by that container, read only by the containers that open card data.
   */
  cardDataKey: (merchantId: string, day: string, ref: string): ItemKey => ({ pk: `DKEY#${merchantId}#${day}#${ref}`, sk: 'DKEY' }),
  /** A hosted-page session, found by the SHA-256 of its token (the token itself is never stored). */
  session: (tokenHash: string): ItemKey => ({ pk: `SESSION#${tokenHash}`, sk: 'SESSION' }),
} as const;

/** Partition keys of the byOwner index: a merchant's resources of one kind, sorted by id (= time). */
export const ownerPartition = {
  apiKeys: (merchantId: string): string => `MER#${merchantId}#KEY`,
  webhookEndpoints: (merchantId: string): string => `MER#${merchantId}#WHE`,
  /** Hosted-page sessions, so a merchant can end one by its id. */
  sessions: (merchantId: string): string => `MER#${merchantId}#SES`,
} as const;

/**
 * A merchant's transactions are spread over this many partitions of the byMerchant index by their id, so
 * that one merchant's payments are not all written to one partition (DynamoDB gives each 1,000 write units
 * a second). A transaction is written to the index once, at one unit, so four shards take a quarter of a
 * unit per payment each: one merchant can pass 4,000 payments a second. A list reads every shard and merges
 * them newest first, so more shards would cost every list for headroom no merchant needs.
 */
export const TRANSACTION_SHARDS = 4;

/** Partition keys of the byMerchant index (`*` for a shard: the pattern of them all, for IAM). */
export const merchantPartition = {
  transactions: (merchantId: string, shard: number | '*'): string => `MER#${merchantId}#TXN#${twoDigits(shard)}`,
} as const;

/** The byMerchant shard of a transaction. */
export function transactionShardOf(transactionId: string): number {
  return spreadOf(transactionId) % TRANSACTION_SHARDS;
}

/**
 * A merchant's events are spread over this many table partitions. Each event goes to the shard of what it
 * is about (a transaction's events share one), so one transaction's timeline reads one partition.
 */
export const EVENT_SHARDS = 32;

/** A merchant's event partition (`*` for a shard: the pattern of them all, for IAM). */
export function eventPartition(merchantId: string, shard: number | '*'): string {
  return `MER#${merchantId}#EVT#${twoDigits(shard)}`;
}

/** The event shard of what `subjectId` names (a transaction, customer or order). */
export function eventShardAbout(subjectId: string): number {
  return spreadOf(subjectId) % EVENT_SHARDS;
}

/** A new event id about `subjectId`, in that subject's event shard. */
export function newEventIdAbout(subjectId: string): string {
  return newIdInLane('event', eventShardAbout(subjectId));
}

/** The shard written into an event id (core/ids.ts `newIdInLane`); 0 for what is not an event id. */
export function eventShardOf(eventId: string): number {
  return laneOf('event', eventId) ?? 0;
}

function twoDigits(shard: number | '*'): string {
  return shard === '*' ? shard : String(shard).padStart(2, '0');
}

/** Partition keys of the byCustomer index. */
export const customerPartition = {
  transactions: (merchantId: string, customerId: string): string => `MER#${merchantId}#CUS#${customerId}#TXN`,
} as const;

export const indexNames: { readonly [Name in IndexName]: Name } = {
  byOwner: 'byOwner',
  byCustomer: 'byCustomer',
  byMerchant: 'byMerchant',
  outbox: 'outbox',
};
