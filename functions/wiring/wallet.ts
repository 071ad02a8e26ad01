/**
 * The wallet function: card changes cause events only, so its outbox sends only to the webhook fan-out; a
 * card is sealed with KMS and fingerprinted under the fingerprint key.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeWalletHandler } from '../hosted/wallet-handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { outboxOf } from './outbox.ts';

const tableName = tableNameFromEnv();
const outbox = outboxOf('wallet');

export const handler = makeWalletHandler({
  sessions: new SessionStore(dynamoDocumentClient, tableName),
  customers: new CustomerRepository(dynamoDocumentClient, tableName, outbox),
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, outbox),
  vault: cardVaultFromEnv(),
  fingerprints: cardFingerprinterFromEnv(),
  now: () => new Date(),
  ...apiPipeline,
});
