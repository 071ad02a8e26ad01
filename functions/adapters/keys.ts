/**
 * Every key of the single table, in one place. Repositories build keys only through these helpers,
 * so an access path is defined once (see README "Data model").
 */
import type { IndexName } from '../../lib/topology.ts';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const keys = {
  merchant: (merchantId: string): ItemKey => ({ pk: `MERCHANT#${merchantId}`, sk: 'MERCHANT' }),
  apiKey: (secretHash: string): ItemKey => ({ pk: `APIKEY#${secretHash}`, sk: 'APIKEY' }),
  transaction: (transactionId: string): ItemKey => ({ pk: `TXN#${transactionId}`, sk: 'TXN' }),
  event: (eventId: string): ItemKey => ({ pk: `EVT#${eventId}`, sk: 'EVT' }),
  /** Beside its event, so one query reads an event and all its deliveries. */
  webhookDelivery: (eventId: string, endpointId: string): ItemKey => ({ pk: `EVT#${eventId}`, sk: `DLV#${endpointId}` }),
  webhookEndpoint: (endpointId: string): ItemKey => ({ pk: `WHE#${endpointId}`, sk: 'WHE' }),
  idempotency: (merchantId: string, idempotencyKey: string): ItemKey => ({
    pk: `IDEM#${merchantId}#${idempotencyKey}`,
    sk: 'IDEM',
  }),
  authorization: (reference: string): ItemKey => ({ pk: `AUTH#${reference}`, sk: 'AUTH' }),
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
  transactions: (merchantId: string): string => `MER#${merchantId}#TXN`,
  events: (merchantId: string): string => `MER#${merchantId}#EVT`,
  webhookEndpoints: (merchantId: string): string => `MER#${merchantId}#WHE`,
  /** Hosted-page sessions, so a merchant can end one by its id. */
  sessions: (merchantId: string): string => `MER#${merchantId}#SES`,
} as const;

/** Partition keys of the byCustomer index. */
export const customerPartition = {
  transactions: (merchantId: string, customerId: string): string => `MER#${merchantId}#CUS#${customerId}#TXN`,
} as const;

export const indexNames: { readonly [Name in IndexName]: Name } = {
  byOwner: 'byOwner',
  byCustomer: 'byCustomer',
  outbox: 'outbox',
};
