/**
 * Any CardProcessor behind cockatiel's timeout, retry and circuit breaker:
 *
 *   breaker( retry( timeout( processor.authorize ) ) )
 *
 * - each attempt may take `timeoutMs`; a late answer counts as unavailable;
 * - an unavailable processor (ProcessorUnavailableError or a timeout) is retried, `attempts` tries in all,
 *   with exponential backoff and decorrelated jitter; a decline is an answer and is never retried;
 * - the breaker sits outside the retry, so one payment that spends all its tries counts as one failure;
 *   after `breakerThreshold` such payments in a row it opens, and lets a trial call through after
 *   `halfOpenAfterMs`.
 *
 * Retrying is safe because the request carries the transaction id as `reference`, on which the processor
 * dedupes: a timed-out attempt that did reach the issuer is answered again, not authorized again.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import {
  ProcessorUnavailableError,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CardProcessor,
} from '../core/processor.ts';

/**
 * The circuit is open: the processor failed payment after payment, so this one was not even tried.
 * Unlike ProcessorUnavailableError, it says nothing about this payment: leave it for a later attempt.
 */
export class ProcessorCircuitOpenError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The card processor is failing; payments are paused until it recovers.', options);
    this.name = 'ProcessorCircuitOpenError';
  }
}

export type CircuitStatus = 'closed' | 'open' | 'half_open' | 'isolated';

export interface ResilienceOptions {
  /** Per attempt. Default 5 s. */
  readonly timeoutMs?: number;
  /** Tries in all, the first included. Default 3. */
  readonly attempts?: number;
  /** First backoff delay. Default 200 ms. */
  readonly initialBackoffMs?: number;
  /** Longest backoff delay. Default 2 s. */
  readonly maxBackoffMs?: number;
  /** Payments in a row that exhaust their retries before the circuit opens. Default 5. */
  readonly breakerThreshold?: number;
  /** How long the circuit stays open before a trial call. Default 30 s. */
  readonly halfOpenAfterMs?: number;
  /** Told before each retry, e.g. to log or count it. */
  readonly onRetry?: (retry: { readonly attempt: number; readonly delayMs: number; readonly reason: string }) => void;
  /** Told when the circuit changes state. */
  readonly onCircuitChange?: (status: CircuitStatus) => void;
}

const circuitStatuses: { readonly [State in CircuitState]: CircuitStatus } = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

export class ResilientProcessor implements CardProcessor {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;

  constructor(
    private readonly inner: CardProcessor,
    options: ResilienceOptions = {},
  ) {
    const unavailable = handleType(ProcessorUnavailableError).orType(TaskCancelledError);
    const retryPolicy = retry(unavailable, {
      maxAttempts: (options.attempts ?? 3) - 1,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialBackoffMs ?? 200,
        maxDelay: options.maxBackoffMs ?? 2_000,
      }),
    });
    const attemptTimeout = timeout(options.timeoutMs ?? 5_000, TimeoutStrategy.Aggressive);
    this.breaker = circuitBreaker(unavailable, {
      halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    this.policy = wrap(this.breaker, retryPolicy, attemptTimeout);

    const { onRetry, onCircuitChange } = options;
    if (onRetry !== undefined) {
      retryPolicy.onRetry((event) =>
        onRetry({ attempt: event.attempt, delayMs: event.delay, reason: 'error' in event ? describe(event.error) : 'result' }),
      );
    }
    if (onCircuitChange !== undefined) {
      this.breaker.onStateChange((state) => onCircuitChange(circuitStatuses[state]));
    }
  }

  get circuit(): CircuitStatus {
    return circuitStatuses[this.breaker.state];
  }

  async authorize(request: AuthorizationRequest, signal?: AbortSignal): Promise<AuthorizationResult> {
    try {
      return await this.policy.execute(({ signal: attemptSignal }) => this.inner.authorize(request, attemptSignal), signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new ProcessorCircuitOpenError({ cause: error });
      // A cancellation the caller asked for is theirs to handle; only our own timeout means "no answer".
      if (error instanceof TaskCancelledError && signal?.aborted !== true) {
        throw new ProcessorUnavailableError('timeout', undefined, { cause: error });
      }
      throw error;
    }
  }
}

function describe(error: Error): string {
  if (error instanceof ProcessorUnavailableError) return error.reason;
  if (error instanceof TaskCancelledError) return 'timeout';
  return error.name;
}
