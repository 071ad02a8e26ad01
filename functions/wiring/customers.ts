/**
 * The customers function: its changes cause events only, never queue commands, so its outbox sends to the
 * webhook fan-out alone (its topology access); saved cards are sealed with KMS.
 */
import { KmsCardVault } from '../adapters/card-vault.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { HmacCardFingerprinter } from '../adapters/fingerprint.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeCustomersHandler } from '../customers/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { outboxOf } from './outbox.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();

export const handler = makeCustomersHandler({
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outboxOf('customers'), now),
  vault: new KmsCardVault(),
  fingerprints: new HmacCardFingerprinter({ tableName }),
  now,
  ...apiPipeline,
});
