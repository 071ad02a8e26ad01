/**
 * Idempotency records of routes whose response holds a secret (`secretInResponse` in defineRoute: an API key,
 * a hosted-page session token). Everywhere else the table keeps such secrets only as hashes, but a replay must
 * return the very same body, so the record keeps the body sealed with KMS (functions/adapters/kms-seal.ts) and
 * opens it on replay. The encryption context binds the ciphertext to its record: `purpose=idempotent_response`
 * (the only purpose IAM lets these functions use), the scope, and a hash of the key (CloudTrail logs the
 * context in clear, and a key is whatever the client chose).
 */
import { createHash } from 'node:crypto';
import type { IdempotencyRecord, IdempotencyRecords, IdempotencyScope, SealContext, Sealer, StoredResponse } from './ports.ts';

export const IDEMPOTENT_RESPONSE_PURPOSE = 'idempotent_response';

/** `records`, with every response sealed before it is saved and opened when it is read back. */
export function sealedResponses(records: IdempotencyRecords, sealer: Sealer): IdempotencyRecords {
  const openRecord = async (scope: IdempotencyScope, record: IdempotencyRecord | undefined) => {
    if (record?.response?.sealed !== true) return record;
    const { status, headers, body } = record.response;
    const response: StoredResponse = { status, headers, body: await sealer.open(body, sealContextOf(scope)) };
    return { ...record, response };
  };
  return {
    async reserve(scope, record, now) {
      const attempt = await records.reserve(scope, record, now);
      return attempt.reserved ? attempt : { reserved: false, existing: await openRecord(scope, attempt.existing) };
    },
    get: async (scope) => openRecord(scope, await records.get(scope)),
    takeOver: (scope, stale, lockedUntil) => records.takeOver(scope, stale, lockedUntil),
    async complete(scope, seed, response) {
      const sealed: StoredResponse = { ...response, body: await sealer.seal(response.body, sealContextOf(scope)), sealed: true };
      await records.complete(scope, seed, sealed);
    },
    release: (scope, seed) => records.release(scope, seed),
  };
}

export function sealContextOf(scope: IdempotencyScope): SealContext {
  return {
    purpose: IDEMPOTENT_RESPONSE_PURPOSE,
    scope: scope.merchantId,
    key: createHash('sha256').update(scope.key).digest('hex'),
  };
}
