import { encodeTime, monotonicFactory } from 'ulid';

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
  checkoutSession: 'chk',
  portalSession: 'ptl',
  consoleSession: 'csl',
  /** Internal: names one POST /events/{id}/redeliver, so that the fan-out applies it once. */
  redelivery: 'rdl',
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

/** A bare ULID, e.g. to seed ids that must come out the same when a request is retried. */
export function newUlid(now: number = Date.now()): string {
  return nextUlid(now);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Ids that a retried request derives again, identically, from the seed its idempotency record keeps:
 * the n-th id of a kind keeps the seed's time part (so it still sorts by creation) and takes its random
 * part from a digest of (seed, kind, n).
 */
export function seededIdFactory(seed: string, digest: (input: string) => Uint8Array): (kind: IdKind) => string {
  const issued = new Map<IdKind, number>();
  return (kind) => {
    const n = issued.get(kind) ?? 0;
    issued.set(kind, n + 1);
    if (n === 0) return `${idPrefixes[kind]}_${seed}`;
    const bytes = digest(`${seed}|${kind}|${n}`);
    let random = '';
    for (let i = 0; i < 16; i += 1) random += CROCKFORD[(bytes[i] ?? 0) % 32];
    return `${idPrefixes[kind]}_${seed.slice(0, 10)}${random}`;
  };
}

/**
 * The smallest id of `kind` made at `time`: ids sort by creation, so "created at or after T" is
 * `id >= idBoundary(kind, T)` — a key condition, not a filter.
 */
export function idBoundary(kind: IdKind, time: number): string {
  return `${idPrefixes[kind]}_${encodeTime(time, 10)}${'0'.repeat(16)}`;
}
