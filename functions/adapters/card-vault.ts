/**
 * The card vault: envelope encryption. A card value is sealed with AES-256-GCM under a KMS data key that the
 * sealing container made for the value's merchant and UTC day and stored, encrypted, in the table
 * (functions/adapters/card-data-keys.ts). Only a container that opens card data reads that item and asks KMS
 * to unwrap the key: a sealing container never calls KMS `Decrypt`, so its role does not have it. The
 * associated data binds the ciphertext to its record and field, and to the key it names, so a value copied to
 * another transaction, another merchant or from `cvc` to `number`, or pointed at another key, does not open.
 *
 * Plaintext data keys are cached in memory for a bounded time and number of uses, and a sealing key only until
 * its day ends; a key is zeroed when it leaves the cache.
 *
 * Sealed formats, each part base64url:
 * - `v2.<day>.<ref>.<iv>.<ciphertext>.<tag>`, written now. `<day>` (`YYYYMMDD`, UTC) and `<ref>` (10 random
 *   characters) name the data key: with the merchant of the binding, the item `DKEY#<merchant>#<day>#<ref>`.
 *   The associated data also covers `v2.<day>.<ref>`. 85 characters for a 16-digit card number.
 * - `v1.<encrypted data key>.<iv>.<ciphertext>.<tag>`, written before: each value carried KMS's ~200-byte
 *   ciphertext of a data key made by one container. Still opened, never written.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SealedCardUnreadableError, type CardVault, type SealBinding } from '../core/vault.ts';
import { CardDataKeys, DATA_KEY_PERIOD_MS, dataKeyPeriodAt, isDataKeyDay, isDataKeyRef, takeKey } from './card-data-keys.ts';

export interface DataKeyCacheLimits {
  /** How long a plaintext data key stays in memory after it was asked for. */
  readonly maxAgeMs: number;
  /** How many values one cached key may seal or open before it leaves the cache. */
  readonly maxUses: number;
  /** How many data keys each cache (sealing, opening) holds; the oldest goes first. */
  readonly maxEntries: number;
}

/**
 * A sealing key also leaves the cache when its day ends. When a sealing key reaches a limit sooner, the
 * container makes a new one (a GenerateDataKey and a new stored item); when an opening key does, the container
 * unwraps the same stored key again (a Decrypt). A day and a million uses keep a container to about one key per
 * merchant and day, far below AES-GCM's 2^32 encryptions per key.
 */
export const defaultDataKeyCacheLimits: DataKeyCacheLimits = { maxAgeMs: DATA_KEY_PERIOD_MS, maxUses: 1_000_000, maxEntries: 1_000 };

/** What the vault works with; a function's wiring builds it from its configuration (wiring/card-data.ts). */
export interface KmsCardVaultOptions {
  readonly kms: KMSClient;
  /** The KMS key that issues data keys. */
  readonly keyId: string;
  /** Where the encrypted data keys are stored. */
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
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
  private readonly dataKeys: CardDataKeys;
  private readonly clock: () => number;
  /** Per merchant and day: the data key this container made, which new values are sealed with. */
  private readonly sealingKeys: DataKeyCache<SealingKey>;
  /** Per merchant and stored key (a day and reference, or a v1 value's encrypted data key): unwrapped keys that open stored values. */
  private readonly openingKeys: DataKeyCache<LoadedKey>;

  constructor(options: KmsCardVaultOptions) {
    this.kms = options.kms;
    this.keyId = options.keyId;
    this.clock = options.clock ?? Date.now;
    this.dataKeys = new CardDataKeys({
      db: options.db,
      tableName: options.tableName,
      kms: this.kms,
      keyId: this.keyId,
      clock: this.clock,
    });
    const limits = { ...defaultDataKeyCacheLimits, ...options.cache };
    this.sealingKeys = new DataKeyCache(limits, this.clock);
    this.openingKeys = new DataKeyCache(limits, this.clock);
  }

  /** Calls KMS `GenerateDataKey` and writes the table (never `Decrypt`, never a read) when it needs a new key. */
  async seal(plaintext: string, binding: SealBinding): Promise<string> {
    checkBinding(binding);
    const period = dataKeyPeriodAt(this.clock());
    const dataKey = await this.sealingKeys.use(
      `${binding.merchantId}#${period.day}`,
      () => this.dataKeys.create(binding.merchantId, period.day),
      period.endsAt,
    );
    // No await from here on: the key cannot be evicted (and zeroed) while this value is being sealed.
    const keyName = `${CURRENT_VERSION}.${period.day}.${dataKey.ref}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(associatedData(binding, keyName));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [keyName, ...[iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.');
  }

  async open(sealed: string, binding: SealBinding): Promise<string> {
    checkBinding(binding);
    const parts = parseSealed(sealed);
    const { merchantId } = binding;
    let aad: Buffer;
    let dataKey: CachedKey<LoadedKey>;
    if (parts.version === CURRENT_VERSION) {
      const { day, ref } = parts;
      aad = associatedData(binding, `${CURRENT_VERSION}.${day}.${ref}`);
      dataKey = await this.openingKeys.use(`${CURRENT_VERSION}#${merchantId}#${day}#${ref}`, async () => ({
        plaintext: await this.dataKeys.unwrap(merchantId, day, ref),
      }));
    } else {
      aad = associatedData(binding);
      dataKey = await this.openingKeys.use(`${LEGACY_VERSION}#${merchantId}#${parts.encryptedKey}`, () =>
        this.decryptLegacyDataKey(merchantId, parts.encryptedKey),
      );
    }
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

/** '|' separates the parts of the associated data; forbidding it keeps two different bindings from having the same. */
function checkBinding(binding: SealBinding): void {
  for (const part of [binding.merchantId, binding.recordId]) {
    if (part.length === 0 || part.includes('|')) throw new Error('A seal binding needs non-empty ids without "|"');
  }
}

/**
 * `merchant|record|field`, preceded in v2 by `v2.<day>.<ref>|`, so a v2 value is also bound to its version and
 * the data key it names. v1 values keep the associated data they were sealed with.
 */
function associatedData(binding: SealBinding, keyName?: string): Buffer {
  const bound = `${binding.merchantId}|${binding.recordId}|${binding.field}`;
  return Buffer.from(keyName === undefined ? bound : `${keyName}|${bound}`, 'utf8');
}

interface Encrypted {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

type SealedParts =
  | (Encrypted & { readonly version: typeof CURRENT_VERSION; readonly day: string; readonly ref: string })
  | (Encrypted & { readonly version: typeof LEGACY_VERSION; readonly encryptedKey: string });

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseSealed(sealed: string): SealedParts {
  const parts = sealed.split('.');
  const notSealed = () => new SealedCardUnreadableError(`it is not in a sealed format (${CURRENT_VERSION} or ${LEGACY_VERSION})`);
  if (!parts.every((part) => BASE64URL.test(part))) throw notSealed();
  const encrypted = (iv = '', ciphertext = '', tag = ''): Encrypted => {
    const decoded = { iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') };
    if (decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) throw notSealed();
    return decoded;
  };
  if (parts[0] === CURRENT_VERSION && parts.length === 6) {
    const [, day = '', ref = '', iv, ciphertext, tag] = parts;
    if (!isDataKeyDay(day) || !isDataKeyRef(ref)) throw notSealed();
    return { version: CURRENT_VERSION, day, ref, ...encrypted(iv, ciphertext, tag) };
  }
  if (parts[0] === LEGACY_VERSION && parts.length === 5) {
    const [, encryptedKey = '', iv, ciphertext, tag] = parts;
    if (encryptedKey.length === 0) throw notSealed();
    return { version: LEGACY_VERSION, encryptedKey, ...encrypted(iv, ciphertext, tag) };
  }
  throw notSealed();
}

interface LoadedKey {
  readonly plaintext: Buffer;
}

interface SealingKey extends LoadedKey {
  /** The stored key's reference, which every value sealed under it names. */
  readonly ref: string;
}

type CachedKey<Loaded extends LoadedKey> = Loaded & {
  uses: number;
  wiped: boolean;
};

interface CacheEntry<Loaded extends LoadedKey> {
  readonly key: Promise<CachedKey<Loaded>>;
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
class DataKeyCache<Loaded extends LoadedKey> {
  private readonly entries = new Map<string, CacheEntry<Loaded>>();

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
   * entry earlier than its age limit. It must not decrease from one new entry to the next (a day's end
   * does not), so that entries stay ordered by expiry.
   */
  async use(name: string, load: () => Promise<Loaded>, notAfter = Number.POSITIVE_INFINITY): Promise<CachedKey<Loaded>> {
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

  private add(name: string, load: () => Promise<Loaded>, notAfter: number): CacheEntry<Loaded> {
    const entry: CacheEntry<Loaded> = {
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

  private isExpired(entry: CacheEntry<Loaded>): boolean {
    return this.clock() >= entry.expiresAt;
  }

  /** Entries are kept in the order they were added, which is the order they expire in: the expired ones are at the front. */
  private evictExpired(): void {
    for (const [name, entry] of this.entries) {
      if (!this.isExpired(entry)) break;
      this.evict(name, entry);
    }
  }

  private evict(name: string, entry: CacheEntry<Loaded>): void {
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
