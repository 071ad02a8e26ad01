/**
 * The Idempotency-Key header of every POST: its name, the header a replayed answer carries, and the check of
 * its value. What a key does (replay, conflict, take-over) is the use case in
 * functions/idempotency/execute-idempotently.ts.
 */
import { InvalidRequestError } from '../core/errors.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 255;

/** Checks the header's value; undefined when the request carries none. */
export function readIdempotencyKey(headerValue: string | undefined): string | undefined {
  if (headerValue === undefined) return undefined;
  if (headerValue.length === 0 || headerValue.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(headerValue)) {
    throw new InvalidRequestError(
      'idempotency_key_invalid',
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces.`,
      { param: 'Idempotency-Key' },
    );
  }
  return headerValue;
}
