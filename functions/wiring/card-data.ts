/**
 * The card vault and the card fingerprinter of a function that handles card data, built from its
 * configuration: the container's KMS and DynamoDB clients, `CARD_KEY_ID` and `TABLE_NAME`, which must be set
 * (checked here, at cold start, naming the variable).
 */
import { KmsCardVault } from '../adapters/card-vault.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { HmacCardFingerprinter } from '../adapters/fingerprint.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { cardKeyIdFromEnv } from '../adapters/kms-seal.ts';
import { tableNameFromEnv } from '../config.ts';

export function cardVaultFromEnv(source: NodeJS.ProcessEnv = process.env): KmsCardVault {
  return new KmsCardVault({ kms: kmsClient, keyId: cardKeyIdFromEnv(source), db: dynamoDocumentClient, tableName: tableNameFromEnv(source) });
}

export function cardFingerprinterFromEnv(source: NodeJS.ProcessEnv = process.env): HmacCardFingerprinter {
  return new HmacCardFingerprinter({ kms: kmsClient, keyId: cardKeyIdFromEnv(source), db: dynamoDocumentClient, tableName: tableNameFromEnv(source) });
}
