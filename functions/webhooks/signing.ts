/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/), with the `standardwebhooks` package that
 * integrators verify with: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the
 * bytes of the `whsec_<base64>` secret.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` and 32 random bytes in base64. */
export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The headers of one attempt. `id` stays the same on every attempt (it is the event's id), so a receiver
 * can drop what it has seen; the timestamp is the attempt's, so a receiver's replay window holds for retries.
 */
export function signedHeaders(secret: string, id: string, at: Date, body: string): SignedHeaders {
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}
