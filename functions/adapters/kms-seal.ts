/**
 * Small secrets at rest that the code must read back in clear (a webhook signing secret, a stored response
 * that holds an API key or a session token): KMS `Encrypt` and `Decrypt` directly under the card key, bound
 * to an encryption context whose `purpose` names what is sealed. IAM grants each function these operations
 * only under the purposes it needs (lib/constructs/gateway-function.ts), so none of them can use the key for
 * card data. KMS encrypts at most 4 KB directly; what is sealed here is far smaller, so no data key is needed.
 */
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';
import type { SealContext, Sealer } from '../idempotency/ports.ts';

/** KMS `Encrypt` refuses more plaintext than this. */
export const MAX_SEALED_BYTES = 4096;

export class KmsSeal implements Sealer {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async seal(plaintext: string, context: SealContext): Promise<string> {
    const bytes = Buffer.from(plaintext, 'utf8');
    if (bytes.length > MAX_SEALED_BYTES) {
      // Loud and early: KMS would refuse it anyway, with a less telling message.
      throw new Error(`cannot seal ${bytes.length} bytes for ${context.purpose}: KMS Encrypt takes at most ${MAX_SEALED_BYTES}`);
    }
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: bytes, EncryptionContext: { ...context } }),
    );
    if (CiphertextBlob === undefined) throw new Error('KMS Encrypt returned no ciphertext');
    return Buffer.from(CiphertextBlob).toString('base64');
  }

  async open(sealed: string, context: SealContext): Promise<string> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: { ...context } }),
    );
    if (Plaintext === undefined) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(Plaintext).toString('utf8');
  }
}

/** The KMS key id (`CARD_KEY_ID`), checked when the sealer is built. */
export function cardKeyIdFromEnv(source: NodeJS.ProcessEnv = process.env): string {
  return loadConfig({ [env.cardKeyId]: z.string().min(1) }, source)[env.cardKeyId] as string;
}
