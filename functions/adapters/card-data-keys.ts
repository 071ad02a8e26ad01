/**
 * The card vault's data keys: one per merchant and period (a UTC day), shared by every container of every
 * function through the table, so that KMS is asked for a data key once per merchant and day in the whole
 * fleet, and each container unwraps it once, instead of each container making its own every few minutes
 * and every opener unwrapping each of those.
 *
 * The first container that needs a merchant's key for a day calls KMS `GenerateDataKey` and stores the
 * *encrypted* key at `DKEY#<merchant>#<YYYYMMDD>` with a conditional put; a container that loses that race
 * throws its own key away and uses the stored one, so no value is ever sealed under a key the table does not
 * hold. Everyone else reads the item (consistently) and asks KMS to `Decrypt` it. The plaintext key never
 * leaves this process: only KMS's ciphertext is stored, and errors name the item, never a key.
 *
 * The encryption context binds the stored key to its merchant and day (`merchant_id`, `data_key_period`):
 * an encrypted key copied to another merchant's or another day's item does not decrypt. CloudTrail logs the
 * context in clear; neither value is secret.
 *
 * Why a UTC day: KMS requests scale with (merchants + containers) per period, so a day costs 288 times fewer
 * than the previous 5 minutes. The crypto-period is far from binding: AES-GCM with random 96-bit IVs allows
 * 2^32 encryptions per key (NIST SP 800-38D), and a merchant sealing 1,000 values a second for a day makes
 * about 2^26. The blast radius of one leaked data key is one merchant's cards sealed that day; a shorter period
 * shrinks it in proportion and multiplies KMS requests in proportion (an hour: 24 times the requests).
 * The items never expire: a saved card sealed on some day needs that day's key for as long as it is kept.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { SealedCardUnreadableError } from '../core/vault.ts';
import { keys, type ItemKey } from './keys.ts';

/** One data key per merchant per UTC day. */
export const DATA_KEY_PERIOD_MS = 24 * 60 * 60 * 1000;

export interface DataKeyPeriod {
  /** `YYYYMMDD` of the UTC day: how a sealed value and the item's key name the period. */
  readonly ref: string;
  /** Epoch milliseconds at which the next period begins. */
  readonly endsAt: number;
}

export function dataKeyPeriodAt(epochMs: number): DataKeyPeriod {
  const start = Math.floor(epochMs / DATA_KEY_PERIOD_MS) * DATA_KEY_PERIOD_MS;
  return { ref: new Date(start).toISOString().slice(0, 10).replaceAll('-', ''), endsAt: start + DATA_KEY_PERIOD_MS };
}

/** Whether `ref` names a period: 8 digits that are a real UTC day from 1970 to 9999. */
export function isDataKeyRef(ref: string): boolean {
  if (!/^\d{8}$/.test(ref)) return false;
  const day = Date.parse(`${ref.slice(0, 4)}-${ref.slice(4, 6)}-${ref.slice(6, 8)}T00:00:00Z`);
  return Number.isFinite(day) && day >= 0 && dataKeyPeriodAt(day).ref === ref;
}

const DATA_KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The stored item, as far as this module reads it; parsed here, at the boundary. */
const storedDataKey = z.object({
  sk: z.literal('DKEY'),
  /** KMS's CiphertextBlob of the data key, base64url. */
  encrypted_key: z.string().regex(BASE64URL),
});

export interface SharedDataKeysOptions {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly kms: KMSClient;
  /** The KMS key that issues and unwraps the data keys. */
  readonly keyId: string;
}

/**
 * Finds, or makes and stores, a merchant's data key of a period. Each call returns a fresh buffer holding the
 * plaintext key, which the caller owns and must zero when done with it; this class caches nothing.
 */
export class SharedDataKeys {
  constructor(private readonly options: SharedDataKeysOptions) {}

  /** The key to seal with in `ref`: the stored one, or a new one stored first if no container has made it. */
  async forSealing(merchantId: string, ref: string): Promise<Buffer> {
    const item = keys.cardDataKey(merchantId, ref);
    const stored = await this.read(item, 'seal');
    if (stored !== undefined) return this.decrypt(item, merchantId, ref, stored, 'seal');

    const { Plaintext, CiphertextBlob } = await this.options.kms.send(
      new GenerateDataKeyCommand({
        KeyId: this.options.keyId,
        KeySpec: 'AES_256',
        EncryptionContext: encryptionContext(merchantId, ref),
      }),
    );
    if (Plaintext?.length !== DATA_KEY_BYTES || CiphertextBlob === undefined) {
      throw new Error('KMS GenerateDataKey returned no usable data key');
    }
    const plaintext = takeKey(Plaintext);
    try {
      await this.options.db.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { ...item, encrypted_key: Buffer.from(CiphertextBlob).toString('base64url'), created_at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return plaintext;
    } catch (error) {
      // Whatever happened, this key may not be the stored one: it must seal nothing.
      plaintext.fill(0);
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Another container stored its key first: every value of this merchant and day is sealed under that one.
    const winner = await this.read(item, 'seal');
    if (winner === undefined) throw new Error(`The data key ${item.pk} vanished after another container stored it`);
    return this.decrypt(item, merchantId, ref, winner, 'seal');
  }

  /**
   * The key a sealed value names. {@link SealedCardUnreadableError} when there is none for this merchant and
   * period, or its stored form is not one KMS issued for them: the value will never open.
   */
  async forOpening(merchantId: string, ref: string): Promise<Buffer> {
    const item = keys.cardDataKey(merchantId, ref);
    const stored = await this.read(item, 'open');
    if (stored === undefined) throw new SealedCardUnreadableError('the data key it names does not exist for this merchant');
    return this.decrypt(item, merchantId, ref, stored, 'open');
  }

  /** The encrypted key, or undefined when no container has stored one. Read consistently: a miss is definite. */
  private async read(item: ItemKey, use: KeyUse): Promise<Uint8Array | undefined> {
    const { Item } = await this.options.db.send(new GetCommand({ TableName: this.options.tableName, Key: item, ConsistentRead: true }));
    if (Item === undefined) return undefined;
    const parsed = storedDataKey.safeParse(Item);
    if (!parsed.success) throw unusable(use, `the stored data key ${item.pk} is malformed`);
    return Buffer.from(parsed.data.encrypted_key, 'base64url');
  }

  private async decrypt(item: ItemKey, merchantId: string, ref: string, encrypted: Uint8Array, use: KeyUse): Promise<Buffer> {
    let plaintext: Uint8Array | undefined;
    try {
      ({ Plaintext: plaintext } = await this.options.kms.send(
        new DecryptCommand({ KeyId: this.options.keyId, CiphertextBlob: encrypted, EncryptionContext: encryptionContext(merchantId, ref) }),
      ));
    } catch (error) {
      // KMS refuses a key altered, or issued for another merchant or day, with this; anything else may pass on retry.
      if (error instanceof InvalidCiphertextException) {
        throw unusable(use, `the stored data key ${item.pk} was altered, or issued for another merchant or day`, error);
      }
      throw error;
    }
    if (plaintext?.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw unusable(use, 'KMS returned a data key of the wrong size');
    }
    return takeKey(plaintext);
  }
}

type KeyUse = 'seal' | 'open';

/**
 * Opening: the value will never open ({@link SealedCardUnreadableError}). Sealing: an operator must repair
 * the item, so a plain error, which the caller answers as a server error.
 */
function unusable(use: KeyUse, reason: string, cause?: unknown): Error {
  return use === 'open'
    ? new SealedCardUnreadableError(reason, { cause })
    : new Error(`Cannot seal card data: ${reason}.`, { cause });
}

function encryptionContext(merchantId: string, ref: string): Record<string, string> {
  return { merchant_id: merchantId, data_key_period: ref };
}

/** Copies a data key out of the SDK's response into a buffer we own, and wipes the SDK's copy. */
export function takeKey(plaintext: Uint8Array): Buffer {
  const key = Buffer.from(plaintext);
  plaintext.fill(0);
  return key;
}
