/**
 * Secret API keys: their format and their hash. A secret key is shown once, when it is made, and stored only
 * as its SHA-256: the authorizer finds a key by hashing what the caller sent, so the table never holds a
 * secret. (A fast hash is enough here, unlike for passwords: a key carries 190 bits of randomness.)
 */
import { createHash, randomBytes } from 'node:crypto';

export const SECRET_KEY_PREFIX = 'sk_live_';
const SECRET_RANDOM_CHARS = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** `sk_live_` and 32 base62 characters from the CSPRNG, without modulo bias. */
export function generateSecretKey(): string {
  let random = '';
  while (random.length < SECRET_RANDOM_CHARS) {
    for (const byte of randomBytes(SECRET_RANDOM_CHARS)) {
      // 248 = 4 × 62: bytes above it would favour the first characters.
      if (byte < 248 && random.length < SECRET_RANDOM_CHARS) random += BASE62[byte % 62];
    }
  }
  return `${SECRET_KEY_PREFIX}${random}`;
}
