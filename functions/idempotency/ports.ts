/**
 * The idempotency capability's ports: where the records of Idempotency-Keys live (the table, through
 * functions/adapters/idempotency-store.ts), what a record holds, and the sealer that keeps a secret-holding
 * response unreadable at rest (functions/adapters/kms-seal.ts). The HTTP pipeline uses them through the use
 * cases (execute-idempotently.ts, sealed-responses.ts); nothing here knows HTTP, DynamoDB or KMS.
 */

export interface StoredResponse {
  readonly status: number;
  /** The body as sent; base64 KMS ciphertext when `sealed` (sealed-responses.ts). */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body holds a secret (an API key, a session token), so the record keeps it only sealed. */
  readonly sealed?: true;
}

export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly state: 'in_progress' | 'complete';
  /** Epoch ms until which the request that holds the record is presumed alive. */
  readonly lockedUntil: number;
  /** Seeds the ids the request creates, so a retry after a crash creates the same ones. */
  readonly seed: string;
  readonly response?: StoredResponse;
}

export interface IdempotencyScope {
  /** Whose keys these are: a merchant id, `<merchant id>#<session id>` for a session's holder, or `admin`. */
  readonly merchantId: string;
  readonly key: string;
}

/** Where the records live: `IdempotencyStore` on DynamoDB; each call is one conditional write or read. */
export interface IdempotencyRecords {
  /** Reserves the key for a new request, or returns the record that holds it. */
  reserve(
    scope: IdempotencyScope,
    record: Omit<IdempotencyRecord, 'state' | 'response'>,
    now: number,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord | undefined }>;
  get(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined>;
  /** Takes over a record whose holder's lock ran out (it died); false if another retry took it first. */
  takeOver(scope: IdempotencyScope, stale: IdempotencyRecord, lockedUntil: number): Promise<boolean>;
  complete(scope: IdempotencyScope, seed: string, response: StoredResponse): Promise<void>;
  /** Frees the key after a request that failed without a result worth replaying. */
  release(scope: IdempotencyScope, seed: string): Promise<void>;
}

/** The encryption context: `purpose` plus what the sealed text belongs to. Logged in clear by CloudTrail. */
export type SealContext = Readonly<{ purpose: string } & Record<string, string>>;

/** Seals small secrets that must be read back in clear, bound to a context. */
export interface Sealer {
  /** The text sealed under `context`, base64. */
  seal(plaintext: string, context: SealContext): Promise<string>;
  /** Opens what `seal` made; it is refused under any other context. */
  open(sealed: string, context: SealContext): Promise<string>;
}
