/**
 * Ports for card data at rest. The domain seals a card number or CVC before it is stored and opens it only
 * to authorize; adapters decide how (envelope encryption under KMS data keys in functions/adapters/card-vault.ts).
 */

/** The record a sealed value belongs to. A sealed value opens only under the binding it was sealed with. */
export interface SealBinding {
  readonly merchantId: string;
  /** The id of the item that stores the value, e.g. `txn_...` or `pm_...`. */
  readonly recordId: string;
  readonly field: 'number' | 'cvc';
}

export interface CardVault {
  /** Encrypts `plaintext` for the record in `binding`; the result is safe to store and log. */
  seal(plaintext: string, binding: SealBinding): Promise<string>;
  /**
   * Decrypts a value sealed under the same binding. Throws {@link SealedCardUnreadableError} when it never
   * will (tampered, malformed, or sealed for another record or field); other errors (a KMS outage) are
   * worth retrying.
   */
  open(sealed: string, binding: SealBinding): Promise<string>;
}

export interface CardFingerprinter {
  /**
   * A stable id for a card number within one merchant (`fp_...`), to spot the same card saved twice. It is
   * keyed per merchant, so two merchants cannot correlate their customers' cards.
   */
  fingerprint(merchantId: string, cardNumber: string): Promise<string>;
}

/**
 * A sealed card value that cannot be opened, now or on any retry. The message never carries card data,
 * nor the sealed value.
 */
export class SealedCardUnreadableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`The sealed card data cannot be opened: ${reason}.`, options);
    this.name = 'SealedCardUnreadableError';
  }
}
