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

/** A ULID as `ulid` writes it: 26 upper-case Crockford base-32 characters (no I, L, O, U). */
const ULID_PATTERN = '[0-9A-HJKMNP-TV-Z]{26}';
const idPatterns = Object.fromEntries(
  Object.entries(idPrefixes).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}_${ULID_PATTERN}$`)]),
) as Record<IdKind, RegExp>;
const anyIdPattern = new RegExp(`^(?:${Object.values(idPrefixes).join('|')})_${ULID_PATTERN}$`);

/** True when `id` has the prefix of `kind` and a well-formed ULID after it. */
export function isId(kind: IdKind, id: string): boolean {
  return idPatterns[kind].test(id);
}

/**
 * True when `value` could be an id this API made, of any kind: one of our prefixes and a ULID, so never
 * longer than 30 characters. What is not can name nothing we store, and must not reach a key lookup.
 */
export function isAnyId(value: string): boolean {
  return anyIdPattern.test(value);
}

/** A bare ULID, e.g. to seed ids that must come out the same when a request is retried. */
export function newUlid(now: number = Date.now()): string {
  return nextUlid(now);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Where a ULID's random part starts: after its 10 characters of time. */
const ULID_TIME_LENGTH = 10;

/**
 * A number in 0..31 that is uniformly spread over ids: the value of the id's last character, which is random
 * (or, for ids made in the same millisecond, counts up). Storage spreads an owner's items over partitions by it.
 */
export function spreadOf(id: string): number {
  return Math.max(0, CROCKFORD.indexOf(id.charAt(id.length - 1)));
}

/**
 * A new id whose first random character is `lane` (0..31), so that whoever holds only the id can tell the
 * lane (`laneOf`). It still sorts by creation time; ids of one lane made in the same millisecond still sort
 * in the order they were made.
 */
export function newIdInLane(kind: IdKind, lane: number, now: number = Date.now()): string {
  const ulid = nextUlid(now);
  const laneChar = CROCKFORD.charAt(lane % CROCKFORD.length);
  return `${idPrefixes[kind]}_${ulid.slice(0, ULID_TIME_LENGTH)}${laneChar}${ulid.slice(ULID_TIME_LENGTH + 1)}`;
}

/** The lane `newIdInLane` put into an id of `kind`; undefined for a string that is not such an id. */
export function laneOf(kind: IdKind, id: string): number | undefined {
  if (!isId(kind, id)) return undefined;
  return CROCKFORD.indexOf(id.charAt(idPrefixes[kind].length + 1 + ULID_TIME_LENGTH));
}

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
  // Before 1970 no id was made: the boundary is the first possible one.
  return `${idPrefixes[kind]}_${encodeTime(Math.max(0, time), 10)}${'0'.repeat(16)}`;
}
