/**
 * Card fingerprints: HMAC-SHA256 under a secret key, because a plain hash of a card number can be reversed
 * by hashing every plausible number. The HMAC covers `merchantId|number`, so one card has a different
 * fingerprint at each merchant and merchants cannot correlate customers across the gateway.
 *
 * The key is a KMS data key (encryption context `purpose=fingerprint`) made once for the whole gateway; its
 * encrypted form lives in the table at `CONFIG#fingerprint-key`, and each container decrypts it once.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { CardFingerprinter } from '../core/vault.ts';
import { parseItem } from './item-schema.ts';
import { keys } from './keys.ts';

/** What the fingerprinter works with; a function's wiring builds it from its configuration (wiring/card-data.ts). */
export interface HmacCardFingerprinterOptions {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly kms: KMSClient;
  /** The KMS key the fingerprint key is made and opened with. */
  readonly keyId: string;
}

const FINGERPRINT_KEY_ITEM = keys.config('fingerprint-key');
const ENCRYPTION_CONTEXT = { purpose: 'fingerprint' };
const KEY_BYTES = 32;

/** The stored fingerprint key: KMS's ciphertext of it, base64. */
const storedFingerprintKey = z.object({ encrypted_key: z.string().min(1), created_at: z.string() });
const FINGERPRINT_BYTES = 16;

export class HmacCardFingerprinter implements CardFingerprinter {
  private readonly db: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly kms: KMSClient;
  private readonly keyId: string;
  private key: Promise<KeyObject> | undefined;

  constructor(options: HmacCardFingerprinterOptions) {
    this.db = options.db;
    this.tableName = options.tableName;
    this.kms = options.kms;
    this.keyId = options.keyId;
  }

  async fingerprint(merchantId: string, cardNumber: string): Promise<string> {
    const digits = cardNumber.replace(/\D/g, '');
    if (digits.length === 0) throw new Error('A card number to fingerprint must contain digits');
    const key = await this.fingerprintKey();
    const mac = createHmac('sha256', key).update(`${merchantId}|${digits}`, 'utf8').digest();
    return `fp_${mac.subarray(0, FINGERPRINT_BYTES).toString('base64url')}`;
  }

  private fingerprintKey(): Promise<KeyObject> {
    if (this.key === undefined) {
      const loading = this.loadOrCreateKey();
      this.key = loading;
      // A failure (KMS or DynamoDB down) is not remembered: the next fingerprint tries again.
      loading.catch(() => {
        if (this.key === loading) this.key = undefined;
      });
    }
    return this.key;
  }

  private async loadOrCreateKey(): Promise<KeyObject> {
    const stored = await this.readEncryptedKey();
    if (stored !== undefined) return this.decryptKey(stored);
    const { Plaintext, CiphertextBlob } = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: ENCRYPTION_CONTEXT }),
    );
    if (Plaintext?.length !== KEY_BYTES || CiphertextBlob === undefined) {
      throw new Error('KMS GenerateDataKey returned no usable fingerprint key');
    }
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...FINGERPRINT_KEY_ITEM,
            ...({
              encrypted_key: Buffer.from(CiphertextBlob).toString('base64'),
              created_at: new Date().toISOString(),
            } satisfies z.input<typeof storedFingerprintKey>),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return toKeyObject(Plaintext);
    } catch (error) {
      Plaintext.fill(0);
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Another container stored its key first; every fingerprint must come from that one.
    const winner = await this.readEncryptedKey();
    if (winner === undefined) throw new Error('The fingerprint key vanished after another writer created it');
    return this.decryptKey(winner);
  }

  private async readEncryptedKey(): Promise<Uint8Array | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: FINGERPRINT_KEY_ITEM, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    return Buffer.from(parseItem(storedFingerprintKey, Item, 'fingerprint key').encrypted_key, 'base64');
  }

  private async decryptKey(encrypted: Uint8Array): Promise<KeyObject> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: encrypted, EncryptionContext: ENCRYPTION_CONTEXT }),
    );
    if (Plaintext?.length !== KEY_BYTES) throw new Error('KMS Decrypt returned no usable fingerprint key');
    return toKeyObject(Plaintext);
  }
}

/** Keeps the key where it cannot be read back as bytes by accident, and wipes the SDK's copy. */
function toKeyObject(plaintext: Uint8Array): KeyObject {
  const key = createSecretKey(plaintext);
  plaintext.fill(0);
  return key;
}
