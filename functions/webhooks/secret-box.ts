/**
 * Webhook signing secrets at rest. The delivery worker needs a secret in clear to sign, so it cannot be a
 * hash like an API key: it is encrypted with KMS `Encrypt` under the card key, bound by the encryption
 * context `{purpose: webhook_secret, merchant_id, endpoint_id}`. IAM lets only the webhooks function
 * encrypt and only the delivery worker decrypt, and only under `purpose=webhook_secret`, so neither can use
 * the key for card data. A secret (`whsec_` and 44 base64 characters) is far under KMS's 4 KB, so no data key is needed; the worker
 * caches what it decrypted for a few minutes, so KMS sees about one Decrypt per endpoint per container.
 */
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';

export const WEBHOOK_SECRET_PURPOSE = 'webhook_secret';
const CACHE_MAX_AGE_MS = 5 * 60_000;
const CACHE_MAX_ENTRIES = 1_000;

export interface SecretOwner {
  readonly merchantId: string;
  readonly endpointId: string;
}

export interface SecretBox {
  seal(secret: string, owner: SecretOwner): Promise<string>;
  open(sealed: string, owner: SecretOwner): Promise<string>;
}

export class KmsSecretBox implements SecretBox {
  private readonly cache = new Map<string, { secret: string; at: number }>();

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async seal(secret: string, owner: SecretOwner): Promise<string> {
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(secret, 'utf8'), EncryptionContext: contextOf(owner) }),
    );
    if (CiphertextBlob === undefined) throw new Error('KMS Encrypt returned no ciphertext');
    return Buffer.from(CiphertextBlob).toString('base64');
  }

  async open(sealed: string, owner: SecretOwner): Promise<string> {
    const cacheKey = `${owner.endpointId}.${sealed}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined && this.clock() - cached.at < CACHE_MAX_AGE_MS) return cached.secret;
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: contextOf(owner) }),
    );
    if (Plaintext === undefined) throw new Error('KMS Decrypt returned no plaintext');
    const secret = Buffer.from(Plaintext).toString('utf8');
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value ?? '');
    this.cache.set(cacheKey, { secret, at: this.clock() });
    return secret;
  }
}

function contextOf(owner: SecretOwner): Record<string, string> {
  return { purpose: WEBHOOK_SECRET_PURPOSE, merchant_id: owner.merchantId, endpoint_id: owner.endpointId };
}

/** The KMS key id (`CARD_KEY_ID`), checked at start-up. */
export function secretKeyIdFromEnv(source: NodeJS.ProcessEnv = process.env): string {
  return loadConfig({ [env.cardKeyId]: z.string().min(1) }, source)[env.cardKeyId] as string;
}
