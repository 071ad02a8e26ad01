import { monotonicFactory } from 'ulid';

/** Resource id prefixes from the contract; an id sorts by creation time (ULID). */
export const idPrefixes = {
  merchant: 'mer',
  apiKey: 'key',
  customer: 'cus',
  paymentMethod: 'pm',
  transaction: 'txn',
  refund: 're',
  order: 'ord',
  event: 'evt',
  webhookEndpoint: 'we',
} as const;

export type IdKind = keyof typeof idPrefixes;

// Monotonic: two ids made in the same millisecond still sort in the order they were made.
const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${idPrefixes[kind]}_${nextUlid(now)}`;
}

/** True when `id` has the prefix of `kind` and a well-formed ULID after it. */
export function isId(kind: IdKind, id: string): boolean {
  return new RegExp(`^${idPrefixes[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`).test(id);
}
