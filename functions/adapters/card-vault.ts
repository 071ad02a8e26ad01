/**
 * The card vault: envelope encryption. A card value is sealed with AES-256-GCM under a KMS data key of its
 * merchant and day, which every container shares through the table (functions/adapters/card-data-keys.ts:
 * made once by KMS `GenerateDataKey` for the whole fleet, stored encrypted, unwrapped once per container).
 * The associated data binds the ciphertext to its record and field, so a value copied to another
 * transaction, another merchant or from `cvc` to `number` does not open.
 *
 * Unwrapped data keys are cached in memory for a bounded time and number of uses, and a sealing key only
 * until its day ends; a plaintext key is zeroed when it leaves the cache.
 *
 * Sealed formats, each part base64url:
 * - `v2.<period>.<iv>.<ciphertext>.<tag>`, written now. `<period>` (`YYYYMMDD`, UTC) names the data key:
 *   with the merchant of the binding, the item `DKEY#<merchant>#<period>`. The associated data also covers
 *   `v2.<period>`. About 75 characters for a card number.
 * - `v1.<encrypted data key>.<iv>.<ciphertext>.<tag>`, written before: each value carried KMS's ~200-byte
 *   ciphertext of a data key made by one container. Still opened, never written.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig, tableNameFromEnv } from '../config.ts';
import { SealedCardUnreadableError, type CardVault, type SealBinding } from '../core/vault.ts';
import { DATA_KEY_PERIOD_MS, dataKeyPeriodAt, isDataKeyRef, SharedDataKeys, takeKey } from './card-data-keys.ts';
import { dynamoDocumentClient } from './dynamodb-client.ts';
import { kmsClient } from './kms-client.ts';

export interface DataKeyCacheLimits {
  /** How long an unwrapped data key stays in memory after it was asked for. */
  readonly maxAgeMs: number;
  /** How many values one cached copy may seal or open before it is unwrapped again. */
  readonly maxUses: number;
  /** How many data keys the cache holds; the oldest goes first. */
  readonly maxEntries: number;
}

/**
 * A sealing key also leaves the cache when its day ends. The data key is the fleet's, so a shorter age or
 * fewer uses would not rotate it, only unwrap the same key again: these bound how long and how much one copy
 * is used, and they are set so that a container unwraps each key about once.
 */
export const defaultDataKeyCacheLimits: DataKeyCacheLimits = { maxAgeMs: DATA_KEY_PERIOD_MS, maxUses: 1_000_000, maxEntries: 1_000 };

export interface KmsCardVaultOptions {
  readonly kms?: KMSClient;
  /** The KMS key that issues data keys; `CARD_KEY_ID` when not given. */
  readonly keyId?: string;
  /** Where the shared data keys are stored; the container's document client when not given. */
  readonly db?: DynamoDBDocumentClient;
  /** `TABLE_NAME` when not given. */
  readonly tableName?: string;
  readonly cache?: Partial<DataKeyCacheLimits>;
  /** Epoch milliseconds; injected by tests to age the cache and to change the day. */
  readonly clock?: () => number;
}

const CURRENT_VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

export class KmsCardVault implements CardVault {
  private readonly kms: KMSClient;
  private readonly keyId: string;
  private readonly dataKeys: SharedDataKeys;
  private readonly clock: () => number;
  /** Per merchant and day: the shared data key new values are sealed with. */
  private readonly sealingKeys: DataKeyCache;
  /** Per merchant and key reference (a day, or a v1 value's encrypted data key): unwrapped keys that open stored values. */
  private readonly openingKeys: DataKeyCache;

  /**
   * Without options: the container's KMS and DynamoDB clients, `CARD_KEY_ID` and `TABLE_NAME`, which must be
   * set (checked here, at cold start).
   */
  constructor(options: KmsCardVaultOptions = {}) {
    this.kms = options.kms ?? kmsClient;
    this.keyId = options.keyId ?? loadConfig({ [env.cardKeyId]: z.string().min(1) })[env.cardKeyId];
    this.dataKeys = new SharedDataKeys({
      db: options.db ?? dynamoDocumentClient,
      tableName: options.tableName ?? tableNameFromEnv(),
      kms: this.kms,
      keyId: this.keyId,
    });
    const limits = { ...defaultDataKeyCacheLimits, ...options.cache };
    this.clock = options.clock ?? Date.now;
    this.sealingKeys = new DataKeyCache(limits, this.clock);
    this.openingKeys = new DataKeyCache(limits, this.clock);
  }

  async seal(plaintext: string, binding: SealBinding): Promise<string> {
    const period = dataKeyPeriodAt(this.clock());
    const keyRef = `${CURRENT_VERSION}.${period.ref}`;
    const aad = associatedData(binding, keyRef);
    const dataKey = await this.sealingKeys.use(
      `${binding.merchantId}#${period.ref}`,
      async () => ({ plaintext: await this.dataKeys.forSealing(binding.merchantId, period.ref) }),
      period.endsAt,
    );
    // No await from here on: the key cannot be evicted (and zeroed) while this value is being sealed.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [keyRef, ...[iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.');
  }

  async open(sealed: string, binding: SealBinding): Promise<string> {
    const parts = parseSealed(sealed);
    const aad = parts.version === CURRENT_VERSION ? associatedData(binding, `${CURRENT_VERSION}.${parts.keyRef}`) : associatedData(binding);
    const dataKey =
      parts.version === CURRENT_VERSION
        ? await this.openingKeys.use(`${CURRENT_VERSION}#${binding.merchantId}#${parts.keyRef}`, async () => ({
            plaintext: await this.dataKeys.forOpening(binding.merchantId, parts.keyRef),
          }))
        : await this.openingKeys.use(`${LEGACY_VERSION}#${binding.merchantId}#${parts.keyRef}`, () =>
            this.decryptLegacyDataKey(binding.merchantId, parts.keyRef),
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

  /** A v1 value's own data key, which KMS made for one container, encrypted under the merchant alone. */
  private async decryptLegacyDataKey(merchantId: string, encrypted: string): Promise<LoadedKey> {
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
      plaintext?.fill(0);
      throw new SealedCardUnreadableError('KMS returned a data key of the wrong size');
    }
    return { plaintext: takeKey(plaintext) };
  }
}

/**
 * `merchant|record|field`, preceded in v2 by `v2.<period>|`, so a v2 value is also bound to the data key it
 * names. v1 values keep the associated data they were sealed with.
 */
function associatedData(binding: SealBinding, keyRef?: string): Buffer {
  for (const part of [binding.merchantId, binding.recordId]) {
    // '|' separates the parts; forbidding it keeps two different bindings from having the same associated data.
    if (part.length === 0 || part.includes('|')) throw new Error('A seal binding needs non-empty ids without "|"');
  }
  const bound = `${binding.merchantId}|${binding.recordId}|${binding.field}`;
  return Buffer.from(keyRef === undefined ? bound : `${keyRef}|${bound}`, 'utf8');
}

interface SealedParts {
  readonly version: typeof CURRENT_VERSION | typeof LEGACY_VERSION;
  /** v2: the period of the shared data key; v1: the value's own encrypted data key, base64url. */
  readonly keyRef: string;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  const [versionPart, keyRef, iv, ciphertext, tag] = parts;
  const version = versionPart === CURRENT_VERSION || versionPart === LEGACY_VERSION ? versionPart : undefined;
  const notSealed = () => new SealedCardUnreadableError(`it is not in a sealed format (${CURRENT_VERSION} or ${LEGACY_VERSION})`);
  if (
    parts.length !== 5 ||
    version === undefined ||
    keyRef === undefined ||
    iv === undefined ||
    ciphertext === undefined ||
    tag === undefined ||
    !parts.every((part) => BASE64URL.test(part))
  ) {
    throw notSealed();
  }
  const decoded: SealedParts = { version, keyRef, iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') };
  const keyRefValid = version === CURRENT_VERSION ? isDataKeyRef(keyRef) : keyRef.length > 0;
  if (!keyRefValid || decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) throw notSealed();
  return decoded;
}

interface LoadedKey {
  readonly plaintext: Buffer;
}

interface CachedKey extends LoadedKey {
  uses: number;
  wiped: boolean;
}

interface CacheEntry {
  readonly key: Promise<CachedKey>;
  /**
   * When the entry stops being used: `maxAgeMs` after the key was asked for (so a slow answer cannot extend
   * it), or earlier if the caller set a deadline.
   */
  readonly expiresAt: number;
}

/**
 * Data keys by name, each used at most `maxUses` times and until it expires. Callers that miss at the same
 * time share one load. A key leaving the cache is zeroed; a caller that awaited it then sees it as unusable
 * and asks again, so a zeroed key is never used.
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

  /**
   * A key for one more use; the caller must use it before its next await. `notAfter` (epoch ms) ends the
   * entry earlier than its age limit. It must not decrease from one new entry to the next (a period's end
   * does not), so that entries stay ordered by expiry.
   */
  async use(name: string, load: () => Promise<LoadedKey>, notAfter = Number.POSITIVE_INFINITY): Promise<CachedKey> {
    for (;;) {
      this.evictExpired();
      const cached = this.entries.get(name);
      const entry = cached ?? this.add(name, load, notAfter);
      const key = await entry.key;
      // The caller that loaded the key uses it even if loading took longer than maxAgeMs, or it could loop forever.
      const fresh = cached === undefined || !this.isExpired(entry);
      if (!key.wiped && key.uses < this.limits.maxUses && fresh) {
        key.uses += 1;
        return key;
      }
      if (this.entries.get(name) === entry) this.evict(name, entry);
    }
  }

  private add(name: string, load: () => Promise<LoadedKey>, notAfter: number): CacheEntry {
    const entry: CacheEntry = {
      key: load().then((loaded) => ({ ...loaded, uses: 0, wiped: false })),
      expiresAt: Math.min(this.clock() + this.limits.maxAgeMs, notAfter),
    };
    this.entries.set(name, entry);
    // A failed load must not stay cached: the next caller tries again.
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
    return this.clock() >= entry.expiresAt;
  }

  /** Entries are kept in the order they were added, which is the order they expire in: the expired ones are at the front. */
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
