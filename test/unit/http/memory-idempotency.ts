/** Idempotency records in a Map, with the same conditions as the DynamoDB store, for tests without a table. */
import type { IdempotencyRecord, IdempotencyRecords, IdempotencyScope, StoredResponse } from '../../../functions/idempotency/ports.ts';
import type { ApiPipelineDependencies } from '../../../functions/http/handler.ts';

export class MemoryIdempotencyRecords implements IdempotencyRecords {
  private readonly records = new Map<string, IdempotencyRecord>();

  async reserve(scope: IdempotencyScope, record: Omit<IdempotencyRecord, 'state' | 'response'>) {
    const existing = this.records.get(keyOf(scope));
    if (existing !== undefined) return { reserved: false as const, existing };
    this.records.set(keyOf(scope), { ...record, state: 'in_progress' });
    return { reserved: true as const };
  }

  async get(scope: IdempotencyScope) {
    return this.records.get(keyOf(scope));
  }

  async takeOver(scope: IdempotencyScope, stale: IdempotencyRecord, lockedUntil: number) {
    const current = this.records.get(keyOf(scope));
    if (current?.state !== 'in_progress' || current.lockedUntil !== stale.lockedUntil) return false;
    this.records.set(keyOf(scope), { ...current, lockedUntil });
    return true;
  }

  async complete(scope: IdempotencyScope, seed: string, response: StoredResponse) {
    const current = this.records.get(keyOf(scope));
    if (current?.seed !== seed) throw new Error('complete by a request that does not hold the key');
    this.records.set(keyOf(scope), { ...current, state: 'complete', response });
  }

  async release(scope: IdempotencyScope, seed: string) {
    const current = this.records.get(keyOf(scope));
    if (current?.seed === seed && current.state === 'in_progress') this.records.delete(keyOf(scope));
  }
}

const keyOf = (scope: IdempotencyScope) => `${scope.merchantId}\u0000${scope.key}`;

/** The pipeline's own dependencies for a test: these records, and no sealing (a route that needs it fails loudly). */
export function memoryPipeline(records: IdempotencyRecords = new MemoryIdempotencyRecords()): ApiPipelineDependencies {
  return {
    idempotencyRecords: () => records,
    responseSealer: () => Promise.reject(new Error('this test seals no response')),
  };
}
