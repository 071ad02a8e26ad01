/**
 * Idempotency-Key semantics of the contract, for every POST:
 * - a retry with the same key and body gets the first response, byte for byte (the HTTP layer marks it
 *   `Idempotent-Replayed: true`);
 * - the same key with a different request is a 422 `idempotency_key_reused`;
 * - a retry while the first is still running waits a little for it (so a burst of identical retries all get
 *   the first response) and is a 409 `idempotency_key_in_use` if it is still running after that;
 * - a request that died mid-way leaves its record locked; once the lock runs out, a retry takes the record
 *   over and runs again with the SAME seeded ids, so conditional creates find what the first run made
 *   instead of making a second one;
 * - a request that fails with an error is not saved (as Stripe does for requests that fail validation):
 *   the key is freed and the client may retry, corrected or not.
 */
import { createHash } from 'node:crypto';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../core/errors.ts';
import { newUlid, seededIdFactory, type IdKind } from '../core/ids.ts';
import type { IdempotencyRecords, IdempotencyScope, StoredResponse } from './ports.ts';

export interface IdempotencyTimings {
  /** How long a request holds the key before a retry may presume it dead (beyond the function timeout). */
  readonly lockMs: number;
  /** How long a concurrent retry waits for the first request to finish before answering 409. */
  readonly waitMs: number;
  readonly pollMs: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const defaultTimings: IdempotencyTimings = {
  lockMs: 30_000,
  waitMs: 5_000,
  pollMs: 50,
  clock: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface IdempotentCall {
  readonly scope: IdempotencyScope;
  /** Identifies the request: method, path and raw body. */
  readonly requestHash: string;
}

export type NewId = (kind: IdKind) => string;

export function hashRequest(method: string, path: string, rawBody: string): string {
  return createHash('sha256').update(`${method} ${path}\n${rawBody}`).digest('hex');
}

export async function executeIdempotently(
  store: IdempotencyRecords,
  call: IdempotentCall,
  execute: (newId: NewId) => Promise<StoredResponse>,
  timings: IdempotencyTimings = defaultTimings,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const seed = newUlid(timings.clock());
  const attempt = await store.reserve(
    call.scope,
    { requestHash: call.requestHash, lockedUntil: timings.clock() + timings.lockMs, seed },
    timings.clock(),
  );
  if (attempt.reserved) return { response: await run(seed), replayed: false };

  const waitUntil = timings.clock() + timings.waitMs;
  let record = attempt.existing;
  for (;;) {
    if (record === undefined) {
      // Released by a failed first request between our reserve and read: start over as a new request.
      return executeIdempotently(store, call, execute, timings);
    }
    if (record.requestHash !== call.requestHash) throw new IdempotencyKeyReusedError();
    if (record.state === 'complete' && record.response !== undefined) {
      return { response: record.response, replayed: true };
    }
    const now = timings.clock();
    if (record.lockedUntil <= now) {
      if (await store.takeOver(call.scope, record, now + timings.lockMs)) {
        return { response: await run(record.seed), replayed: false };
      }
    } else if (now >= waitUntil) {
      throw new IdempotencyKeyInUseError();
    } else {
      await timings.sleep(timings.pollMs);
    }
    record = await store.get(call.scope);
  }

  async function run(runSeed: string): Promise<StoredResponse> {
    let response: StoredResponse;
    try {
      response = await execute(seededIdFactory(runSeed, (input) => createHash('sha256').update(input).digest()));
    } catch (error) {
      await store.release(call.scope, runSeed);
      throw error;
    }
    if (response.status >= 500) await store.release(call.scope, runSeed);
    else await store.complete(call.scope, runSeed, response);
    return response;
  }
}
