/**
 * The customers function: its changes cause events only, never queue commands, so its outbox sends to the
 * webhook fan-out alone (its topology access); saved cards are sealed with KMS.
 */
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeCustomersHandler } from '../customers/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { outboxOf } from './outbox.ts';

const now = (): Date => new Date();
const tableName = tableNameFromEnv();

export const handler = makeCustomersHandler({
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outboxOf('customers'), now),
  vault: cardVaultFromEnv(),
  fingerprints: cardFingerprinterFromEnv(),
  now,
  ...apiPipeline,
});
