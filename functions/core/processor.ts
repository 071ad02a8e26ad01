/**
 * The port a card processor (acquirer) implements. The sandbox implements it here; a real acquirer would
 * plug in behind the same interface, wrapped by the same timeouts, retries and circuit breaker.
 */

export interface AuthorizationRequest {
  /** The transaction id. An acquirer dedupes on it, so asking twice authorizes once. */
  readonly reference: string;
  /** Minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly card: {
    readonly number: string;
    readonly expMonth: number;
    readonly expYear: number;
    readonly cvc?: string;
  };
}

export type AuthorizationResult =
  | { readonly outcome: 'approved'; readonly authorizationCode: string }
  | { readonly outcome: 'declined'; readonly declineCode: string };

/**
 * Why the processor could not answer. `timeout` and `processing_error` are worth another try: the outcome is
 * unknown, not negative. `processor_unavailable` is the end of trying: the processor stayed unreachable until the
 * payment's deadline (functions/adapters/resilient-processor.ts), and the payment ends `failed` with it.
 */
export type UnavailableReason = 'timeout' | 'processing_error' | 'processor_unavailable';

const unavailableMessages: Readonly<Record<UnavailableReason, string>> = {
  timeout: 'The card processor did not answer in time.',
  processing_error: 'The card processor failed to process the request.',
  processor_unavailable: 'The card processor stayed unavailable until the payment\'s deadline.',
};

/** The processor gave no answer (it failed or timed out): retriable, unlike a decline. */
export class ProcessorUnavailableError extends Error {
  constructor(
    readonly reason: UnavailableReason,
    message = unavailableMessages[reason],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProcessorUnavailableError';
  }
}

export interface CardProcessor {
  /**
   * Resolves with the issuer's answer; rejects with ProcessorUnavailableError when there is none.
   * `signal` aborts when the caller stops waiting (a timeout), so an implementation can drop its request.
   */
  authorize(request: AuthorizationRequest, signal?: AbortSignal): Promise<AuthorizationResult>;
}

