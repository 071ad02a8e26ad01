/**
 * API Gateway REQUEST authorizer: `Authorization: Bearer <key>` → the admin, a merchant, a hosted-page
 * session (`cs_`/`ps_`/`cons_` tokens, scoped to one checkout, customer or console), or 401.
 * Which principal a route accepts is the route's `auth` (declared in functions/<capability>/routes.ts), checked by the handler pipeline,
 * so a session token on a merchant route (or the reverse) is a 403 there.
 *
 * API Gateway caches the answer per Authorization header, so an Allow covers the whole API (every stage
 * method and path), not just the method that happened to ask first. The key itself is never logged.
 *
 * A merchant's answer also names its API Gateway API key (`usageIdentifierKey`, functions/adapters/usage-plan.ts),
 * which the 'merchant' routes require (`apiKeyRequired`): the usage plan then throttles each merchant on its
 * own. Admin and session answers name none, and their routes require none; on a merchant route they get
 * API Gateway's 403, the same answer the handlers give a wrong principal.
 *
 * Built from its ports (functions/wiring/authorizer.ts gives the real ones), so a test hands in fakes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { hashSessionToken, sessionAuthOf, sessionKindOfToken } from '../hosted/session.ts';
import { logger } from '../observability/logger.ts';
import type { ActiveApiKeys, ActiveSessions } from './ports.ts';
import { hashSecret, SECRET_KEY_PREFIX } from './secret-keys.ts';

/** The answer API Gateway rejects with its 401; any other error would be a 500. */
const UNAUTHORIZED = 'Unauthorized';

export interface AuthorizerDependencies {
  /** The admin key as it is now (it may be rotated in Secrets Manager). */
  readonly adminKey: () => Promise<string>;
  readonly apiKeys: ActiveApiKeys;
  readonly sessions: ActiveSessions;
}

export type AuthorizerContext =
  | { readonly principal: 'admin' }
  | { readonly principal: 'merchant'; readonly merchantId: string; readonly keyId: string }
  | {
      readonly principal: 'checkout_session' | 'portal_session' | 'console_session';
      readonly merchantId: string;
      readonly sessionId: string;
      readonly customerId?: string;
    };

export type Authorizer = (event: APIGatewayRequestAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

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

function allow(
  principalId: string,
  methodArn: string,
  context: AuthorizerContext,
  usageIdentifierKey?: string,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(methodArn) }],
    },
    context,
    ...(usageIdentifierKey === undefined ? {} : { usageIdentifierKey }),
  };
}

export function makeAuthorizer({ adminKey, apiKeys, sessions }: AuthorizerDependencies): Authorizer {
  const authorize = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const key = bearerKey(event.headers);
    if (key === undefined) throw new Error(UNAUTHORIZED);
    if (isAdminKey(key, await adminKey())) {
      return allow('admin', event.methodArn, { principal: 'admin' });
    }
    const sessionKind = sessionKindOfToken(key);
    if (sessionKind !== undefined) {
      const session = await sessions.findActive(hashSessionToken(key));
      // A token whose prefix names another kind than the stored session is forged or mangled: refuse it.
      if (session === undefined || session.kind !== sessionKind) throw new Error(UNAUTHORIZED);
      logger.appendKeys({ merchant_id: session.merchantId, session_id: session.id });
      return allow(session.id, event.methodArn, {
        principal: sessionAuthOf[session.kind],
        merchantId: session.merchantId,
        sessionId: session.id,
        // Only a wallet is scoped to a customer; a checkout's customer is a detail of what it charges.
        ...(session.kind === 'portal' && session.customerId !== undefined ? { customerId: session.customerId } : {}),
      });
    }
    // Anything that cannot be a secret key is refused without a table read.
    if (!key.startsWith(SECRET_KEY_PREFIX.slice(0, 3))) throw new Error(UNAUTHORIZED);
    const owner = await apiKeys.findActiveKey(hashSecret(key));
    if (owner === undefined) throw new Error(UNAUTHORIZED);
    logger.appendKeys({ merchant_id: owner.merchantId, key_id: owner.keyId });
    // Not fatal here, but API Gateway will refuse every merchant route: an operator has to enrol it.
    if (owner.usagePlanKey === undefined) logger.warn('Merchant has no usage plan key');
    return allow(
      owner.merchantId,
      event.methodArn,
      { principal: 'merchant', merchantId: owner.merchantId, keyId: owner.keyId },
      owner.usagePlanKey,
    );
  };
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(authorize);
}
