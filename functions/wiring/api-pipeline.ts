/**
 * The API pipeline's own dependencies for a deployed function (or the local runtime): Idempotency-Key records
 * in the table, and secret answers sealed with KMS under the card key. Each is built on first use, so a
 * function that never needs one neither loads its client nor reads its configuration.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { IdempotencyStore } from '../adapters/idempotency-store.ts';
import { tableNameFromEnv } from '../config.ts';
import type { ApiPipelineDependencies } from '../http/handler.ts';
import type { Sealer } from '../idempotency/ports.ts';

let records: IdempotencyStore | undefined;
let sealer: Promise<Sealer> | undefined;

export const apiPipeline: ApiPipelineDependencies = {
  idempotencyRecords: () => (records ??= new IdempotencyStore(dynamoDocumentClient, tableNameFromEnv())),
  responseSealer: () => (sealer ??= kmsSealer()),
};

async function kmsSealer(): Promise<Sealer> {
  const [{ kmsClient }, { KmsSeal, cardKeyIdFromEnv }] = await Promise.all([
    import('../adapters/kms-client.ts'),
    import('../adapters/kms-seal.ts'),
  ]);
  return new KmsSeal(kmsClient, cardKeyIdFromEnv());
}
