/**
 * The API pipeline's own dependencies for a deployed function (or the local runtime): Idempotency-Key records
 * in the table, and secret answers sealed with KMS under the card key. Each is built on first use, so a
 * function that never needs one neither loads its client nor reads its configuration. `IDEMPOTENCY_LOCK_SECONDS`,
 * unset in the cloud, lets the local runtime's crash tests shorten how long a killed request holds its key.
 */
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { IdempotencyStore } from '../adapters/idempotency-store.ts';
import { loadConfig, tableNameFromEnv } from '../config.ts';
import type { ApiPipelineDependencies } from '../http/handler.ts';
import type { Sealer } from '../idempotency/ports.ts';

const lockSetting = { [env.idempotencyLockSeconds]: z.coerce.number().int().min(1).max(300).optional() };
const lockSeconds = loadConfig(lockSetting)[env.idempotencyLockSeconds];

let records: IdempotencyStore | undefined;
let sealer: Promise<Sealer> | undefined;

export const apiPipeline: ApiPipelineDependencies = {
  idempotencyRecords: () => (records ??= new IdempotencyStore(dynamoDocumentClient, tableNameFromEnv())),
  responseSealer: () => (sealer ??= kmsSealer()),
  ...(lockSeconds === undefined ? {} : { idempotencyLockMs: lockSeconds * 1000 }),
};

async function kmsSealer(): Promise<Sealer> {
  const [{ kmsClient }, { KmsSeal, cardKeyIdFromEnv }] = await Promise.all([
    import('../adapters/kms-client.ts'),
    import('../adapters/kms-seal.ts'),
  ]);
  return new KmsSeal(kmsClient, cardKeyIdFromEnv());
}
