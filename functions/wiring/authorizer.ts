/**
 * The authorizer function: secret keys and sessions read from the table, and the admin key from
 * `ADMIN_API_KEY` (the local runtime) or else the Secrets Manager secret, cached for five minutes.
 */
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { loadConfig, tableNameFromEnv } from '../config.ts';
import { makeAuthorizer } from '../merchants/authorizer.ts';

const ADMIN_SECRET_MAX_AGE_SECONDS = 300;

/** The Secrets Manager client is loaded only when the secret is read; the Lambda Node.js runtime provides it. */
function adminKeySource(source: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  const config = loadConfig(
    {
      [env.adminApiKey]: z.string().min(1).optional(),
      [env.adminKeySecretId]: z.string().min(1).optional(),
    },
    source,
  );
  const adminApiKey = config[env.adminApiKey];
  if (adminApiKey !== undefined) return async () => adminApiKey;
  const secretId = config[env.adminKeySecretId];
  if (secretId === undefined) throw new Error(`Invalid configuration: set ${env.adminApiKey} or ${env.adminKeySecretId}`);
  return async () => {
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    const secret = await getSecret(secretId, { maxAge: ADMIN_SECRET_MAX_AGE_SECONDS });
    if (typeof secret !== 'string' || secret === '') throw new Error(`Secret ${env.adminKeySecretId} holds no admin key`);
    return secret;
  };
}

const tableName = tableNameFromEnv();

export const handler = makeAuthorizer({
  adminKey: adminKeySource(),
  apiKeys: new MerchantStore(dynamoDocumentClient, tableName),
  sessions: new SessionStore(dynamoDocumentClient, tableName),
});
