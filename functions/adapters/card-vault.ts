/**
 * The card vault: envelope encryption. A card value is sealed with AES-256-GCM under a data key from KMS
 * `GenerateDataKey` (encryption context `merchant_id`), and stored next to that data key in its encrypted
 * form. The associated data binds the ciphertext to its record and field, so a value copied to another
 * transaction, another merchant or from `cvc` to `number` does not open.
 *
 * Data keys are cached for a bounded time and number of uses, so KMS is called about once per merchant
 * per few minutes, not once per payment; a plaintext key is zeroed when it leaves the cache.
 *
 * Sealed format: `v1.<encrypted data key>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';
import { SealedCardUnreadableError, type CardVault, type SealBinding } from '../core/vault.ts';
import { kmsClient } from './kms-client.ts';

export interface DataKeyCacheLimits {
  /** How long a data key is used after KMS issued it. */
  readonly maxAgeMs: number;
  /** How many values one cached data key may seal or open. */
  readonly maxUses: number;
  /** How many data keys the cache holds; the oldest goes first. */
  readonly maxEntries: number;
}

export const defaultDataKeyCacheLimits: DataKeyCacheLimits = { maxAgeMs: 5 * 60_000, maxUses: 10_000, maxEntries: 1_000 };

export interface KmsCardVaultOptions {
  readonly kms?: KMSClient;
  /** The KMS key that issues data keys; `CARD_KEY_ID` when not given. */
  readonly keyId?: string;
  readonly cache?: Partial<DataKeyCacheLimits>;
  /** Epoch milliseconds; injected by tests to age the cache. */
  readonly clock?: () => number;
}

const FORMAT_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

export class KmsCardVault implements CardVault {
  private readonly kms: KMSClient;
  private readonly keyId: string;
  /** Per merchant: the data key new values are sealed with. */
  private readonly sealingKeys: DataKeyCache;
  /** Per merchant and encrypted data key: unwrapped keys that open stored values. */
  private readonly openingKeys: DataKeyCache;

  /** Without options: the container's KMS client and `CARD_KEY_ID`, which must be set (checked here, at cold start). */
  constructor(options: KmsCardVaultOptions = {}) {
    this.kms = options.kms ?? kmsClient;
    this.keyId = options.keyId ?? loadConfig({ [env.cardKeyId]: z.string().min(1) })[env.cardKeyId];
    const limits = { ...defaultDataKeyCacheLimits, ...options.cache };
    const clock = options.clock ?? Date.now;
    this.sealingKeys = new DataKeyCache(limits, clock);
    this.openingKeys = new DataKeyCache(limits, clock);
  }

  async seal(plaintext: string, binding: SealBinding): Promise<string> {
    const aad = associatedData(binding);
    const dataKey = await this.sealingKeys.use(binding.merchantId, () => this.generateDataKey(binding.merchantId));
    // No await from here on: the key cannot be evicted (and zeroed) while this value is being sealed.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT_VERSION, dataKey.encrypted, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async open(sealed: string, binding: SealBinding): Promise<string> {
    const aad = associatedData(binding);
    const parts = parseSealed(sealed);
    const dataKey = await this.openingKeys.use(`${binding.merchantId}.${parts.encryptedKey}`, () =>
      this.decryptDataKey(binding.merchantId, parts.encryptedKey),
    );
    // No await from here on, as in seal().
    const decipher = createDecipheriv('aes-256-gcm', dataKey.plaintext, parts.iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    try {
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SealedCardUnreadableError('it was altered, or sealed for another record or field', { cause: error });
    }
  }

  private async generateDataKey(merchantId: string): Promise<LoadedKey> {
    const { Plaintext, CiphertextBlob } = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { merchant_id: merchantId } }),
    );
    if (Plaintext?.length !== DATA_KEY_BYTES || CiphertextBlob === undefined) {
      throw new Error('KMS GenerateDataKey returned no usable data key');
    }
    return { plaintext: takeKey(Plaintext), encrypted: Buffer.from(CiphertextBlob).toString('base64url') };
  }

  private async decryptDataKey(merchantId: string, encrypted: string): Promise<LoadedKey> {
    let plaintext: Uint8Array | undefined;
    try {
      ({ Plaintext: plaintext } = await this.kms.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: Buffer.from(encrypted, 'base64url'),
          EncryptionContext: { merchant_id: merchantId },
        }),
      ));
    } catch (error) {
      // KMS refuses a key sealed for another merchant, or altered, with this; anything else may pass on retry.
      if (error instanceof InvalidCiphertextException) {
        throw new SealedCardUnreadableError('its data key was altered, or belongs to another merchant', { cause: error });
      }
      throw error;
    }
    if (plaintext?.length !== DATA_KEY_BYTES) {
      throw new SealedCardUnreadableError('KMS returned a data key of the wrong size');
    }
    return { plaintext: takeKey(plaintext), encrypted };
  }
}

function associatedData(binding: SealBinding): Buffer {
  for (const part of [binding.merchantId, binding.recordId]) {
    // '|' separates the parts; forbidding it keeps two different bindings from having the same associated data.
    if (part.length === 0 || part.includes('|')) throw new Error('A seal binding needs non-empty ids without "|"');
  }
  return Buffer.from(`${binding.merchantId}|${binding.recordId}|${binding.field}`, 'utf8');
}

interface SealedParts {
  readonly encryptedKey: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  const [version, encryptedKey, iv, ciphertext, tag] = parts;
  if (
    parts.length !== 5 ||
    version !== FORMAT_VERSION ||
    encryptedKey === undefined ||
    iv === undefined ||
    ciphertext === undefined ||
    tag === undefined ||
    !parts.every((part) => BASE64URL.test(part))
  ) {
    throw new SealedCardUnreadableError(`it is not in the ${FORMAT_VERSION} sealed format`);
  }
  const decoded = { encryptedKey, iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') };
  if (encryptedKey.length === 0 || decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) {
    throw new SealedCardUnreadableError(`it is not in the ${FORMAT_VERSION} sealed format`);
  }
  return decoded;
}

/** Copies a data key out of the SDK's response into a buffer we own, and wipes the SDK's copy. */
function takeKey(plaintext: Uint8Array): Buffer {
  const key = Buffer.from(plaintext);
  plaintext.fill(0);
  return key;
}

interface LoadedKey {
  readonly plaintext: Buffer;
  /** The encrypted data key, base64url, as it appears in a sealed value. */
  readonly encrypted: string;
}

interface CachedKey extends LoadedKey {
  uses: number;
  wiped: boolean;
}

interface CacheEntry {
  readonly key: Promise<CachedKey>;
  /** When the key was asked of KMS: its age counts from then, so a slow KMS answer cannot extend it. */
  readonly requestedAt: number;
}

/**
 * Data keys by name, each used at most `maxUses` times and for `maxAgeMs`. Callers that miss at the same
 * time share one KMS request. A key leaving the cache is zeroed; a caller that awaited it then sees it as
 * unusable and asks again, so a zeroed key is never used.
 */
class DataKeyCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly limits: DataKeyCacheLimits,
    private readonly clock: () => number,
  ) {
    const { maxAgeMs, maxUses, maxEntries } = limits;
    if (!(maxAgeMs > 0 && Number.isInteger(maxUses) && maxUses >= 1 && Number.isInteger(maxEntries) && maxEntries >= 1)) {
      throw new Error('Data key cache limits must be positive: maxAgeMs > 0, maxUses >= 1, maxEntries >= 1');
    }
  }

  /** A key for one more use; the caller must use it before its next await. */
  async use(name: string, load: () => Promise<LoadedKey>): Promise<CachedKey> {
    for (;;) {
      this.evictExpired();
      const cached = this.entries.get(name);
      const entry = cached ?? this.add(name, load);
      const key = await entry.key;
      // The caller that asked KMS uses its key even if KMS took longer than maxAgeMs, or it could loop forever.
      const fresh = cached === undefined || !this.isExpired(entry);
      if (!key.wiped && key.uses < this.limits.maxUses && fresh) {
        key.uses += 1;
        return key;
      }
      if (this.entries.get(name) === entry) this.evict(name, entry);
    }
  }

  private add(name: string, load: () => Promise<LoadedKey>): CacheEntry {
    const entry: CacheEntry = {
      key: load().then((loaded) => ({ ...loaded, uses: 0, wiped: false })),
      requestedAt: this.clock(),
    };
    this.entries.set(name, entry);
    // A failed load must not stay cached: the next caller asks KMS again.
    entry.key.catch(() => {
      if (this.entries.get(name) === entry) this.entries.delete(name);
    });
    for (const [oldest, oldestEntry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries) break;
      this.evict(oldest, oldestEntry);
    }
    return entry;
  }

  private isExpired(entry: CacheEntry): boolean {
    return this.clock() - entry.requestedAt >= this.limits.maxAgeMs;
  }

  /** Entries are kept in the order they were added, so the expired ones are at the front. */
  private evictExpired(): void {
    for (const [name, entry] of this.entries) {
      if (!this.isExpired(entry)) break;
      this.evict(name, entry);
    }
  }

  private evict(name: string, entry: CacheEntry): void {
    this.entries.delete(name);
    entry.key.then(
      (key) => {
        key.plaintext.fill(0);
        key.wiped = true;
      },
      () => undefined,
    );
  }
}
