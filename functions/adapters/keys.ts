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
  idempotency: (merchantId: string, idempotencyKey: string): ItemKey => ({
    pk: `IDEM#${merchantId}#${idempotencyKey}`,
    sk: 'IDEM',
  }),
  authorization: (reference: string): ItemKey => ({ pk: `AUTH#${reference}`, sk: 'AUTH' }),
  config: (name: string): ItemKey => ({ pk: `CONFIG#${name}`, sk: 'CONFIG' }),
} as const;

/** Partition keys of the byOwner index: a merchant's resources of one kind, sorted by id (= time). */
export const ownerPartition = {
  apiKeys: (merchantId: string): string => `MER#${merchantId}#KEY`,
  transactions: (merchantId: string): string => `MER#${merchantId}#TXN`,
  events: (merchantId: string): string => `MER#${merchantId}#EVT`,
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
