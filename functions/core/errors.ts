/**
 * The gateway's errors, keyed by kind as the card networks' and Stripe's are. The domain throws these;
 * the HTTP layer (functions/http/problem.ts) maps a kind to a status and renders RFC 9457 problem details.
 * The domain knows nothing of HTTP: a kind, a stable machine-readable `code`, and what a caller may read.
 */

export type ErrorKind =
  | 'invalid_request' // the request breaks the schema: 400
  | 'card' // card data fails its checks: 402
  | 'authentication' // missing or bad key: 401
  | 'forbidden' // a key that may not do this: 403
  | 'not_found' // what the caller cannot see: 404
  | 'conflict' // the resource is not in a state that allows this: 409
  | 'idempotency_in_use' // a retry while the first is still running: 409
  | 'idempotency_reused' // the same key with a different body: 422
  | 'rate_limit'; // over the merchant's token bucket: 429

export interface GatewayErrorOptions {
  /** The request field at fault, e.g. `card_number` or `amount`. */
  readonly param?: string;
  /** For a declined card: the issuer's reason (`insufficient_funds`, ...). */
  readonly declineCode?: string;
  readonly cause?: unknown;
}

/** Base of every error whose message is safe to show the caller. */
export class GatewayError extends Error {
  readonly param: string | undefined;
  readonly declineCode: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.param = options.param;
    this.declineCode = options.declineCode;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super('invalid_request', code, message, options);
  }
}

/** Card data that fails its checks: `invalid_number`, `invalid_expiry_date`, `expired_card`, `invalid_cvc`. */
export class CardError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super('card', code, message, options);
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message = 'A valid API key is required: send `Authorization: Bearer <key>`.') {
    super('authentication', 'unauthenticated', message);
  }
}

export class ForbiddenError extends GatewayError {
  constructor(message: string) {
    super('forbidden', 'forbidden', message);
  }
}

/** Also what a merchant gets for another merchant's resource: no existence leak. */
export class NotFoundError extends GatewayError {
  constructor(resource: string, id: string, param?: string) {
    super('not_found', 'resource_missing', `No such ${resource}: '${id}'.`, param === undefined ? {} : { param });
  }
}

export class StateConflictError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super('conflict', code, message, options);
  }
}

export class IdempotencyKeyInUseError extends GatewayError {
  constructor() {
    super(
      'idempotency_in_use',
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still being processed; retry later.',
    );
  }
}

export class IdempotencyKeyReusedError extends GatewayError {
  constructor() {
    super(
      'idempotency_reused',
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request; use a new key for a new request.',
    );
  }
}

export class RateLimitError extends GatewayError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limit', 'rate_limited', 'Too many requests for this API key; slow down and retry after the given delay.');
  }
}
