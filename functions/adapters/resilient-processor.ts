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
 *
 * With an `outage` policy (the authorize worker's), an outage of the processor is ridden out instead of failing
 * payments: when the circuit is open, or this payment's tries ended with no answer at all (timeouts), or its
 * failure is what opened the circuit, the payment is not at fault and `ProcessorOutageError` says when to ask
 * again, later and later (as long again as the payment has waited so far, from `firstRetrySeconds` up to
 * `maxRetrySeconds`, with a little jitter so that the payments of one outage do not all come back at once). Once
 * the payment is `giveUpAfterSeconds` old it is not put off again: the next outage answer is
 * `ProcessorUnavailableError('processor_unavailable')`, which fails the payment. A `processing_error` while the
 * circuit stays closed is the processor answering, with an error, for this payment alone: it fails the payment
 * at once, with that reason, as without a policy.
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
 * The processor is out, not this payment: leave it for a later attempt, after `retryAfterSeconds` when the
 * outage policy says (undefined: whenever the queue brings it back). Unlike ProcessorUnavailableError, it says
 * nothing about this payment, so it never fails one.
 */
export class ProcessorOutageError extends Error {
  constructor(
    readonly retryAfterSeconds: number | undefined,
    message = 'The card processor is unavailable; this payment is tried again later.',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProcessorOutageError';
  }
}

/**
 * The circuit is open: the processor failed payment after payment, so this one was not even tried.
 */
export class ProcessorCircuitOpenError extends ProcessorOutageError {
  constructor(options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(options?.retryAfterSeconds, 'The card processor is failing; payments are paused until it recovers.', options);
    this.name = 'ProcessorCircuitOpenError';
  }
}

/** How a payment waits out an outage of the processor (see the module comment). */
export interface OutagePolicy {
  /** When the payment was created, in ms since the epoch: its deadline counts from then. */
  readonly createdAt: (request: AuthorizationRequest) => number;
  readonly firstRetrySeconds: number;
  readonly maxRetrySeconds: number;
  /** Past this age a payment the processor cannot answer ends `failed` (`processor_unavailable`). */
  readonly giveUpAfterSeconds: number;
  /** A number in [0, 1); the jitter takes off up to a tenth of each wait. Default Math.random. */
  readonly random?: () => number;
}

/** The share of a wait that jitter may take off. */
export const OUTAGE_JITTER = 0.1;

/**
 * How long a payment that has waited `waitedSeconds` for the processor waits before it is asked again: as long
 * again as it has waited, within [firstRetrySeconds, maxRetrySeconds], less up to a tenth of jitter, and never
 * past its deadline, so that it is asked once more right at the deadline and ends there if the processor is
 * still out. Whole seconds, at least 1 (SQS visibility timeouts are whole seconds).
 */
export function outageRetryDelaySeconds(
  waitedSeconds: number,
  policy: Pick<OutagePolicy, 'firstRetrySeconds' | 'maxRetrySeconds' | 'giveUpAfterSeconds'>,
  random: number,
): number {
  const grown = Math.min(policy.maxRetrySeconds, Math.max(policy.firstRetrySeconds, waitedSeconds));
  const jittered = grown * (1 - OUTAGE_JITTER * random);
  const untilDeadline = policy.giveUpAfterSeconds - waitedSeconds;
  return Math.max(1, Math.ceil(Math.min(jittered, untilDeadline)));
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
  /** Ride out outages instead of failing payments (see the module comment). */
  readonly outage?: OutagePolicy;
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
  private readonly outage: OutagePolicy | undefined;

  constructor(
    private readonly inner: CardProcessor,
    options: ResilienceOptions = {},
  ) {
    this.outage = options.outage;
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
      if (error instanceof BrokenCircuitError) {
        if (this.outage === undefined) throw new ProcessorCircuitOpenError({ cause: error });
        this.rideOut(request, error, this.outage);
      }
      // A cancellation the caller asked for is theirs to handle; only our own timeout means "no answer".
      const unavailable =
        error instanceof TaskCancelledError && signal?.aborted !== true
          ? new ProcessorUnavailableError('timeout', undefined, { cause: error })
          : error;
      if (
        unavailable instanceof ProcessorUnavailableError &&
        this.outage !== undefined &&
        (unavailable.reason === 'timeout' || this.circuit !== 'closed')
      ) {
        this.rideOut(request, unavailable, this.outage);
      }
      throw unavailable;
    }
  }

  /** Puts the payment off with a ProcessorOutageError, or fails it once it is past its deadline. */
  private rideOut(request: AuthorizationRequest, cause: Error, outage: OutagePolicy): never {
    const waitedSeconds = Math.max(0, (Date.now() - outage.createdAt(request)) / 1000);
    if (waitedSeconds >= outage.giveUpAfterSeconds) {
      throw new ProcessorUnavailableError('processor_unavailable', undefined, { cause });
    }
    const retryAfterSeconds = outageRetryDelaySeconds(waitedSeconds, outage, (outage.random ?? Math.random)());
    throw cause instanceof BrokenCircuitError
      ? new ProcessorCircuitOpenError({ cause, retryAfterSeconds })
      : new ProcessorOutageError(retryAfterSeconds, undefined, { cause });
  }
}

function describe(error: Error): string {
  if (error instanceof ProcessorUnavailableError) return error.reason;
  if (error instanceof TaskCancelledError) return 'timeout';
  return error.name;
}
