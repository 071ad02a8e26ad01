import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../functions/adapters/idempotency-store.ts';
import { readIdempotencyKey } from '../../functions/http/idempotency.ts';
import { executeIdempotently, hashRequest, type IdempotencyTimings } from '../../functions/idempotency/execute-idempotently.ts';
import type { StoredResponse } from '../../functions/idempotency/ports.ts';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, InvalidRequestError } from '../../functions/core/errors.ts';
import { newUlid } from '../../functions/core/ids.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';

describe('Idempotency-Key semantics', () => {
  let table: TestTable;
  let store: IdempotencyStore;
  const fastTimings = (clock: () => number = Date.now): IdempotencyTimings => ({
    lockMs: 30_000,
    waitMs: 2_000,
    pollMs: 5,
    clock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const call = (key: string, body = '{"amount":100}') => ({
    scope: { merchantId: 'mer_1', key },
    requestHash: hashRequest('POST', '/payments', body),
  });
  const created = (id: string): StoredResponse => ({ status: 201, body: JSON.stringify({ id }), headers: {} });

  beforeAll(async () => {
    table = await startTestTable();
    store = new IdempotencyStore(table.db, table.tableName);
  });
  afterAll(() => table.close());

  it('replays the first response to a retry and runs the request once', async () => {
    const key = newUlid();
    let runs = 0;
    const execute = async (newId: (kind: 'transaction') => string) => {
      runs += 1;
      return created(newId('transaction'));
    };

    const first = await executeIdempotently(store, call(key), execute, fastTimings());
    const retry = await executeIdempotently(store, call(key), execute, fastTimings());

    expect(runs).toBe(1);
    expect(first.replayed).toBe(false);
    expect(retry).toEqual({ response: first.response, replayed: true });
  });

  it('refuses the same key with a different body with idempotency_key_reused', async () => {
    const key = newUlid();
    await executeIdempotently(store, call(key), async () => created('a'), fastTimings());

    await expect(
      executeIdempotently(store, call(key, '{"amount":200}'), async () => created('b'), fastTimings()),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('gives 50 concurrent identical requests one run and one identical response', async () => {
    const key = newUlid();
    let runs = 0;
    const execute = async (newId: (kind: 'transaction') => string) => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return created(newId('transaction'));
    };

    const results = await Promise.all(
      Array.from({ length: 50 }, () => executeIdempotently(store, call(key), execute, fastTimings())),
    );

    expect(runs).toBe(1);
    expect(new Set(results.map((r) => r.response.body)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('answers idempotency_key_in_use when the first request outlasts the wait', async () => {
    const key = newUlid();
    let finish: () => void = () => undefined;
    const slow = executeIdempotently(
      store,
      call(key),
      () => new Promise<StoredResponse>((resolve) => (finish = () => resolve(created('slow')))),
      fastTimings(),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    const retry = executeIdempotently(store, call(key), async () => created('never'), { ...fastTimings(), waitMs: 100 });

    await expect(retry).rejects.toBeInstanceOf(IdempotencyKeyInUseError);
    finish();
    await expect(slow).resolves.toMatchObject({ replayed: false });
  });

  it('after the holder died, a retry takes over with the same ids', async () => {
    const key = newUlid();
    let now = Date.now();
    const seed = newUlid(now);
    // What a process killed mid-request leaves behind: a reserved, locked, never completed record.
    await store.reserve(call(key).scope, { requestHash: call(key).requestHash, lockedUntil: now + 30_000, seed }, now);

    now += 31_000;
    const retry = await executeIdempotently(
      store,
      call(key),
      async (newId) => created(newId('transaction')),
      fastTimings(() => now),
    );

    expect(retry.replayed).toBe(false);
    expect(JSON.parse(retry.response.body)).toEqual({ id: `txn_${seed}` });
  });

  it('frees the key when the request fails, so a retry runs again', async () => {
    const key = newUlid();
    await expect(
      executeIdempotently(store, call(key), async () => {
        throw new InvalidRequestError('invalid_amount', 'bad');
      }, fastTimings()),
    ).rejects.toBeInstanceOf(InvalidRequestError);

    const retry = await executeIdempotently(store, call(key), async () => created('ok'), fastTimings());

    expect(retry).toMatchObject({ replayed: false, response: { status: 201 } });
  });

  it('treats a record older than 24 hours as absent', async () => {
    const key = newUlid();
    let now = Date.now();
    await executeIdempotently(store, call(key), async () => created('first'), fastTimings(() => now));

    now += 24 * 60 * 60 * 1000 + 1000;
    const later = await executeIdempotently(store, call(key, '{"other":true}'), async () => created('second'), fastTimings(() => now));

    expect(later).toMatchObject({ replayed: false, response: { body: JSON.stringify({ id: 'second' }) } });
  });

  it('validates the header: at most 255 printable characters', () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
    expect(readIdempotencyKey('order-42')).toBe('order-42');
    expect(() => readIdempotencyKey('x'.repeat(256))).toThrow(InvalidRequestError);
    expect(() => readIdempotencyKey('has space')).toThrow(InvalidRequestError);
  });
});
