/**
 * API Gateway REQUEST authorizer: `Authorization: Bearer <key>` → the admin, a merchant, or 401.
 *
 * API Gateway caches the answer per Authorization header, so an Allow covers the whole API (every stage
 * method and path), not just the method that happened to ask first. The key itself is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig, tableNameFromEnv } from '../config.ts';
import { dynamoDocumentClient } from '../adapters/aws.ts';
import { hashSecret, MerchantStore, SECRET_KEY_PREFIX, type ApiKeyOwner } from '../adapters/merchant-store.ts';
import { logger } from '../observability/logger.ts';

/** The answer API Gateway rejects with its 401; any other error would be a 500. */
const UNAUTHORIZED = 'Unauthorized';
const ADMIN_SECRET_MAX_AGE_SECONDS = 300;

export interface AuthorizerDependencies {
  /** The admin key as it is now (it may be rotated in Secrets Manager). */
  readonly adminKey: () => Promise<string>;
  readonly findActiveKey: (secretHash: string) => Promise<ApiKeyOwner | undefined>;
}

export type AuthorizerContext =
  | { readonly principal: 'admin' }
  | { readonly principal: 'merchant'; readonly merchantId: string; readonly keyId: string };

function bearerKey(headers: APIGatewayRequestAuthorizerEvent['headers']): string | undefined {
  const authorization = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/** Compares digests, not the keys: equal lengths for timingSafeEqual, and no timing hint about the key. */
function isAdminKey(presented: string, adminKey: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(adminKey));
}

/** `arn:aws:execute-api:region:account:apiId/stage/*\/*` from the ARN of the method that asked. */
export function wholeApiArn(methodArn: string): string {
  const match = /^(arn:[^:]+:execute-api:[^:]*:[^:]*:[^/]+)\/([^/]+)\//.exec(methodArn);
  return match === null ? methodArn : `${match[1]}/${match[2]}/*/*`;
}

function allow(principalId: string, methodArn: string, context: AuthorizerContext): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(methodArn) }],
    },
    context,
  };
}

export function createAuthorizer(dependencies: AuthorizerDependencies) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const key = bearerKey(event.headers);
    if (key === undefined) throw new Error(UNAUTHORIZED);
    if (isAdminKey(key, await dependencies.adminKey())) {
      return allow('admin', event.methodArn, { principal: 'admin' });
    }
    // Anything that cannot be a secret key is refused without a table read.
    if (!key.startsWith(SECRET_KEY_PREFIX.slice(0, 3))) throw new Error(UNAUTHORIZED);
    const owner = await dependencies.findActiveKey(hashSecret(key));
    if (owner === undefined) throw new Error(UNAUTHORIZED);
    logger.appendKeys({ merchant_id: owner.merchantId, key_id: owner.keyId });
    return allow(owner.merchantId, event.methodArn, {
      principal: 'merchant',
      merchantId: owner.merchantId,
      keyId: owner.keyId,
    });
  };
}

/**
 * The admin key: `ADMIN_API_KEY` when set (the local runtime), else the Secrets Manager secret, cached
 * for five minutes. The Secrets Manager client is loaded only on that path; the Lambda Node.js runtime
 * provides it.
 */
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

const store = new MerchantStore(dynamoDocumentClient, tableNameFromEnv());

export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(createAuthorizer({ adminKey: adminKeySource(), findActiveKey: (hash) => store.findActiveKey(hash) }));
