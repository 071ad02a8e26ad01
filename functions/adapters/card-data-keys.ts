/**
 * The card vault's data keys, made so that only a function that opens card data can unwrap one (DESIGN.md,
 * "Card data": only the authorize worker can decrypt cards).
 *
 * Sealing: each container makes its own data key per merchant and UTC day with KMS `GenerateDataKey`, and
 * stores the *encrypted* key once, under a random reference, `DKEY#<merchant>#<YYYYMMDD>#<ref>`, before it
 * seals anything under it; every value sealed under the key names its day and reference. A sealing container
 * never reads these items and never calls KMS `Decrypt`, so its role needs neither: it can make keys and seal,
 * and cannot unwrap any stored key, not even its own. The reference is random and new, so the conditional put
 * has no race to lose; it only keeps a (never expected) collision from overwriting another container's key.
 *
 * Opening: the value's merchant, day and reference name the item; it is read consistently (the sealer stored
 * it before sealing, so a miss is definite) and KMS `Decrypt`s the key, once per key, for the caller to cache.
 *
 * The plaintext key never leaves this process: only KMS's ciphertext is stored, and errors name the item,
 * never a key. The encryption context binds the stored key to its merchant and day (`merchant_id`,
 * `data_key_period`): an encrypted key copied to another merchant's or another day's item does not decrypt.
 * CloudTrail logs the context in clear; neither value is secret.
 *
 * Why one key per container and day, not one per merchant and day for the whole fleet: sharing one key would
 * make every container after the first unwrap it, so every sealing function would need `kms:Decrypt` on card
 * data keys. Per day, KMS sees one GenerateDataKey per sealing container and merchant, and one Decrypt per
 * opening container and key it meets (bench/kms-model.ts). The crypto-period is far from binding: AES-GCM with
 * random 96-bit IVs allows 2^32 encryptions per key (NIST SP 800-38D), and the vault's cache retires a key after
 * far fewer uses. One leaked data key exposes what one container sealed for one merchant in one day.
 * The items never expire: a saved card sealed on some day needs that key for as long as it is kept.
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { SealedCardUnreadableError } from '../core/vault.ts';
import { keys } from './keys.ts';

/** A sealing key is used for one UTC day at most. */
export const DATA_KEY_PERIOD_MS = 24 * 60 * 60 * 1000;

export interface DataKeyPeriod {
  /** `YYYYMMDD` of the UTC day, as a sealed value and the item's key name it. */
  readonly day: string;
  /** Epoch milliseconds at which the next day begins. */
  readonly endsAt: number;
}

export function dataKeyPeriodAt(epochMs: number): DataKeyPeriod {
  const start = Math.floor(epochMs / DATA_KEY_PERIOD_MS) * DATA_KEY_PERIOD_MS;
  return { day: new Date(start).toISOString().slice(0, 10).replaceAll('-', ''), endsAt: start + DATA_KEY_PERIOD_MS };
}

/** Whether `day` is 8 digits that are a real UTC day from 1970 to 9999. */
export function isDataKeyDay(day: string): boolean {
  if (!/^\d{8}$/.test(day)) return false;
  const start = Date.parse(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T00:00:00Z`);
  return Number.isFinite(start) && start >= 0 && dataKeyPeriodAt(start).day === day;
}

/** 10 base64url characters: 60 random bits, unique among the few thousand keys a merchant's day can have. */
const REF_CHARS = 10;
const REF_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${REF_CHARS}}$`);

/** Whether `ref` has the form of a data key's reference (it says nothing about whether the key exists). */
export function isDataKeyRef(ref: string): boolean {
  return REF_PATTERN.test(ref);
}

function newDataKeyRef(): string {
  // 8 bytes are 11 base64url characters; the first 10 carry 6 random bits each.
  return randomBytes(8).toString('base64url').slice(0, REF_CHARS);
}

const DATA_KEY_BYTES = 32;

/** The stored item, as far as an opener reads it; parsed here, at the boundary. */
const storedDataKey = z.object({
  sk: z.literal('DKEY'),
  /** KMS's CiphertextBlob of the data key, base64url. */
  encrypted_key: z.string().regex(/^[A-Za-z0-9_-]+$/),
  created_at: z.string(),
});

export interface CardDataKeysOptions {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly kms: KMSClient;
  /** The KMS key that issues and unwraps the data keys. */
  readonly keyId: string;
  /** Epoch milliseconds, for an item's `created_at`. */
  readonly clock: () => number;
}

export interface NewDataKey {
  /** The reference that names the stored key, for the values sealed under it. */
  readonly ref: string;
  readonly plaintext: Buffer;
}

/**
 * Makes and stores data keys (sealing), and unwraps stored ones (opening). Each call returns a fresh buffer
 * holding a plaintext key, which the caller owns and must zero when done with it; this class caches nothing.
 */
export class CardDataKeys {
  constructor(private readonly options: CardDataKeysOptions) {}

  /**
   * A new data key of `merchantId` for `day`, already stored (encrypted) under its reference, so that every
   * value sealed under it can be opened. Needs `kms:GenerateDataKey` and `dynamodb:PutItem`, nothing else.
   */
  async create(merchantId: string, day: string): Promise<NewDataKey> {
    const { Plaintext, CiphertextBlob } = await this.options.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.options.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(merchantId, day) }),
    );
    if (Plaintext?.length !== DATA_KEY_BYTES || CiphertextBlob === undefined) {
      Plaintext?.fill(0);
      throw new Error('KMS GenerateDataKey returned no usable data key');
    }
    const plaintext = takeKey(Plaintext);
    const ref = newDataKeyRef();
    const item = keys.cardDataKey(merchantId, day, ref);
    try {
      await this.options.db.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...item, encrypted_key: Buffer.from(CiphertextBlob).toString('base64url'), created_at: new Date(this.options.clock()).toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Not known to be stored (or another key is): it must seal nothing. The caller may try again, with a new key.
      plaintext.fill(0);
      if (error instanceof ConditionalCheckFailedException) {
        throw new Error(`Cannot seal card data: the new data key's reference ${item.pk} is taken.`, { cause: error });
      }
      throw error;
    }
    return { ref, plaintext };
  }

  /**
   * The key a sealed value names. {@link SealedCardUnreadableError} when there is none for this merchant, day
   * and reference, or its stored form is not one KMS issued for them: the value will never open. Other errors
   * (the table or KMS failing) may pass on retry. Needs `dynamodb:GetItem` and `kms:Decrypt`.
   */
  async unwrap(merchantId: string, day: string, ref: string): Promise<Buffer> {
    const item = keys.cardDataKey(merchantId, day, ref);
    const { Item } = await this.options.db.send(new GetCommand({ TableName: this.options.tableName, Key: item, ConsistentRead: true }));
    if (Item === undefined) throw new SealedCardUnreadableError('the data key it names does not exist for this merchant');
    const parsed = storedDataKey.safeParse(Item);
    if (!parsed.success) throw new SealedCardUnreadableError(`the stored data key ${item.pk} is malformed`);

    let plaintext: Uint8Array | undefined;
    try {
      ({ Plaintext: plaintext } = await this.options.kms.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: Buffer.from(parsed.data.encrypted_key, 'base64url'),
          EncryptionContext: encryptionContext(merchantId, day),
        }),
      ));
    } catch (error) {
      // KMS refuses a key altered, or issued for another merchant or day, with this; anything else may pass on retry.
      if (error instanceof InvalidCiphertextException) {
        throw new SealedCardUnreadableError(`the stored data key ${item.pk} was altered, or issued for another merchant or day`, { cause: error });
      }
      throw error;
    }
    if (plaintext?.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new SealedCardUnreadableError('KMS returned a data key of the wrong size');
    }
    return takeKey(plaintext);
  }
}

function encryptionContext(merchantId: string, day: string): Record<string, string> {
  return { merchant_id: merchantId, data_key_period: day };
}

/** Copies a data key out of the SDK's response into a buffer we own, and wipes the SDK's copy. */
export function takeKey(plaintext: Uint8Array): Buffer {
  const key = Buffer.from(plaintext);
  plaintext.fill(0);
  return key;
}
