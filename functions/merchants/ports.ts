/**
 * What the merchant routes and the authorizer need of the outside world. The DynamoDB merchant store
 * (functions/adapters/merchant-store.ts) and the usage plan adapters (functions/adapters/usage-plan.ts)
 * implement these; tests may substitute their own.
 */
import type { Merchant } from '../core/merchant.ts';
import type { Session } from '../hosted/session.ts';

/** A key as its owner sees it when it is made: the only time the secret exists outside the caller. */
export interface IssuedApiKey {
  readonly keyId: string;
  readonly secret: string;
  readonly createdAt: string;
}

export interface RevokedApiKey {
  readonly keyId: string;
  readonly revokedAt: string;
}

/** What an active key stands for. */
export interface ApiKeyOwner {
  readonly keyId: string;
  readonly merchantId: string;
  /** The merchant's `usagePlanKey`, when it has one: the authorizer's `usageIdentifierKey`. */
  readonly usagePlanKey?: string;
}

/** Merchants and their secret keys, as the merchant routes change them. */
export interface MerchantAccounts {
  /** The merchant and its first key; a retry with the same ids finds the merchant it created. */
  createMerchant(merchant: Merchant, keyId: string): Promise<{ merchant: Merchant; apiKey: IssuedApiKey }>;
  createApiKey(merchantId: string, keyId: string, createdAt: string): Promise<IssuedApiKey>;
  /** Another merchant's key is not found (NotFoundError), as an unknown one is; a revoked key answers its first revocation. */
  revokeApiKey(merchantId: string, keyId: string, revokedAt: string): Promise<RevokedApiKey>;
}

/** Makes sure a new merchant is throttled on its own (the usage plan in the cloud). */
export interface UsagePlanEnrollment {
  /** Idempotent: enrolling a merchant again returns the same key value. */
  enroll(merchantId: string): Promise<{ readonly apiKeyValue: string }>;
}

/** The authorizer's read of secret keys: the owner of an active key, found by the SHA-256 of its secret. */
export interface ActiveApiKeys {
  findActiveKey(secretHash: string): Promise<ApiKeyOwner | undefined>;
}

/** The authorizer's read of hosted-page sessions: the active (unexpired, not ended) session whose token hashes to this. */
export interface ActiveSessions {
  findActive(tokenHash: string): Promise<Pick<Session, 'id' | 'kind' | 'merchantId' | 'customerId'> | undefined>;
}
