/**
 * Webhook signing secrets at rest. The delivery worker needs a secret in clear to sign, so it cannot be a
 * hash like an API key: it is encrypted with KMS `Encrypt` under the card key (kms-seal.ts),
 * bound by the encryption context `{purpose: webhook_secret, merchant_id, endpoint_id}`. IAM lets only the
 * webhooks function encrypt and only the delivery worker decrypt, and only under `purpose=webhook_secret`, so neither can use
 * the key for card data. A secret (`whsec_` and 44 base64 characters) is far under KMS's 4 KB, so no data key is needed; the worker
 * caches what it decrypted for a few minutes, so KMS sees about one Decrypt per endpoint per container.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox, SecretOwner } from '../webhooks/ports.ts';
import type { SealContext } from '../idempotency/ports.ts';
import { KmsSeal, cardKeyIdFromEnv } from './kms-seal.ts';

export const WEBHOOK_SECRET_PURPOSE = 'webhook_secret';
const CACHE_MAX_AGE_MS = 5 * 60_000;
const CACHE_MAX_ENTRIES = 1_000;

export class KmsSecretBox implements SecretBox {
  private readonly cache = new Map<string, { secret: string; at: number }>();
  private readonly sealer: KmsSeal;

  constructor(
    kms: KMSClient,
    keyId: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.sealer = new KmsSeal(kms, keyId);
  }

  seal(secret: string, owner: SecretOwner): Promise<string> {
    return this.sealer.seal(secret, contextOf(owner));
  }

  async open(sealed: string, owner: SecretOwner): Promise<string> {
    const cacheKey = `${owner.endpointId}.${sealed}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined && this.clock() - cached.at < CACHE_MAX_AGE_MS) return cached.secret;
    const secret = await this.sealer.open(sealed, contextOf(owner));
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value ?? '');
    this.cache.set(cacheKey, { secret, at: this.clock() });
    return secret;
  }
}

function contextOf(owner: SecretOwner): SealContext {
  return { purpose: WEBHOOK_SECRET_PURPOSE, merchant_id: owner.merchantId, endpoint_id: owner.endpointId };
}

/** The KMS key id (`CARD_KEY_ID`), checked at start-up. */
export const secretKeyIdFromEnv = cardKeyIdFromEnv;
