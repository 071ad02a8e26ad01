import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ProcessorCircuitOpenError,
  ProcessorOutageError,
  ResilientProcessor,
  outageRetryDelaySeconds,
  type CircuitStatus,
  type OutagePolicy,
  type ResilienceOptions,
} from '../../../functions/adapters/resilient-processor.ts';
import {
  ProcessorUnavailableError,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CardProcessor,
} from '../../../functions/core/processor.ts';

const approved: AuthorizationResult = { outcome: 'approved', authorizationCode: 'A1B2C3' };
const declined: AuthorizationResult = { outcome: 'declined', declineCode: 'insufficient_funds' };

type Step = AuthorizationResult | Error | 'hang';

/** A processor that plays a script, one step per call, and then repeats its last step. */
class ScriptedProcessor implements CardProcessor {
  calls = 0;
  readonly signals: AbortSignal[] = [];

  constructor(private readonly script: readonly Step[]) {}

  authorize(_request: AuthorizationRequest, signal?: AbortSignal): Promise<AuthorizationResult> {
    const step = this.script[Math.min(this.calls, this.script.length - 1)];
    this.calls += 1;
    if (signal !== undefined) this.signals.push(signal);
    if (step === undefined || step === 'hang') return new Promise(() => undefined);
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(step);
  }
}

const request: AuthorizationRequest = {
  reference: 'txn_01JQ0000000000000000000001',
  amount: 1000,
  currency: 'EUR',
  card: { number: '4242424242424242', expMonth: 12, expYear: 2030 },
};

const unavailable = (): ProcessorUnavailableError => new ProcessorUnavailableError('processing_error');

/** Runs an authorization to its end on fake timers: settles it, whatever timers it waits on. */
async function settle(processor: CardProcessor): Promise<AuthorizationResult | Error> {
  const outcome = processor.authorize(request).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  await vi.runAllTimersAsync();
  return outcome;
}

describe('the resilient processor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('retries', () => {
    it('passes an approval straight through', async () => {
      // Arrange
      const inner = new ScriptedProcessor([approved]);

      // Act
      const result = await settle(new ResilientProcessor(inner));

      // Assert
      expect(result).toEqual(approved);
      expect(inner.calls).toBe(1);
    });

    it('never retries a decline: it is an answer', async () => {
      // Arrange
      const inner = new ScriptedProcessor([declined, approved]);

      // Act
      const result = await settle(new ResilientProcessor(inner));

      // Assert
      expect(result).toEqual(declined);
      expect(inner.calls).toBe(1);
    });

    it('retries an unavailable processor and returns the answer it finally gives', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable(), unavailable(), approved]);
      const retries: number[] = [];

      // Act
      const result = await settle(new ResilientProcessor(inner, { onRetry: ({ attempt }) => retries.push(attempt) }));

      // Assert
      expect(result).toEqual(approved);
      expect(inner.calls).toBe(3);
      expect(retries).toEqual([1, 2]);
    });

    it('gives up after 3 tries in all by default, still unavailable', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable()]);

      // Act
      const result = await settle(new ResilientProcessor(inner));

      // Assert
      expect(result).toBeInstanceOf(ProcessorUnavailableError);
      expect(result).toMatchObject({ reason: 'processing_error' });
      expect(inner.calls).toBe(3);
    });

    it('tries as many times as it is told', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable()]);

      // Act
      await settle(new ResilientProcessor(inner, { attempts: 5 }));

      // Assert
      expect(inner.calls).toBe(5);
    });

    it('waits a jittered, bounded, nonzero backoff between tries', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable()]);
      const delays: number[] = [];
      const options: ResilienceOptions = {
        attempts: 6,
        initialBackoffMs: 100,
        maxBackoffMs: 1_000,
        onRetry: ({ delayMs }) => delays.push(delayMs),
      };

      // Act
      await settle(new ResilientProcessor(inner, options));

      // Assert
      expect(delays).toHaveLength(5);
      for (const delay of delays) {
        expect(delay).toBeGreaterThan(0);
        expect(delay).toBeLessThanOrEqual(1_000);
      }
    });

    it('does not retry an error that is not about availability', async () => {
      // Arrange
      const inner = new ScriptedProcessor([new TypeError('bug'), approved]);

      // Act
      const result = await settle(new ResilientProcessor(inner));

      // Assert
      expect(result).toBeInstanceOf(TypeError);
      expect(inner.calls).toBe(1);
    });
  });

  describe('timeouts', () => {
    it('abandons an attempt after 5 s by default, retries, and reports a timeout', async () => {
      // Arrange
      const inner = new ScriptedProcessor(['hang']);
      const resilient = new ResilientProcessor(inner);
      const outcome = resilient.authorize(request).catch((error: unknown) => error);

      // Act
      await vi.advanceTimersByTimeAsync(4_999);
      const callsBeforeTimeout = inner.calls;
      await vi.runAllTimersAsync();

      // Assert
      expect(callsBeforeTimeout).toBe(1);
      expect(await outcome).toBeInstanceOf(ProcessorUnavailableError);
      expect(await outcome).toMatchObject({ reason: 'timeout' });
      expect(inner.calls).toBe(3);
      expect(inner.signals.every((signal) => signal.aborted)).toBe(true);
    });

    it('takes the answer of a retry after a timed-out attempt', async () => {
      // Arrange
      const inner = new ScriptedProcessor(['hang', approved]);

      // Act
      const result = await settle(new ResilientProcessor(inner, { timeoutMs: 100 }));

      // Assert
      expect(result).toEqual(approved);
      expect(inner.calls).toBe(2);
    });

    it('leaves a cancellation by the caller as it is, not a timeout', async () => {
      // Arrange
      const inner = new ScriptedProcessor(['hang']);
      const caller = new AbortController();
      const outcome = new ResilientProcessor(inner).authorize(request, caller.signal).catch((error: unknown) => error);

      // Act
      caller.abort();
      await vi.runAllTimersAsync();

      // Assert
      expect(await outcome).not.toBeInstanceOf(ProcessorUnavailableError);
      expect(inner.calls).toBe(1);
    });
  });

  describe('the circuit breaker', () => {
    it('counts a payment that spends all its retries once, and opens after 5 such payments', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable()]);
      const resilient = new ResilientProcessor(inner);
      for (let payment = 0; payment < 4; payment += 1) await settle(resilient);
      const afterFour = resilient.circuit;

      // Act
      const fifth = await settle(resilient);
      const callsWhenOpened = inner.calls;
      const sixth = await settle(resilient);

      // Assert
      expect(afterFour).toBe('closed');
      expect(fifth).toBeInstanceOf(ProcessorUnavailableError);
      expect(resilient.circuit).toBe('open');
      expect(sixth).toBeInstanceOf(ProcessorCircuitOpenError);
      expect(sixth).not.toBeInstanceOf(ProcessorUnavailableError);
      expect(callsWhenOpened).toBe(15);
      expect(inner.calls).toBe(15);
    });

    it('is not opened by declines, and an answer resets the count', async () => {
      // Arrange
      const script: Step[] = [
        ...Array.from({ length: 12 }, unavailable),
        declined,
        ...Array.from({ length: 12 }, unavailable),
      ];
      const inner = new ScriptedProcessor(script);
      const resilient = new ResilientProcessor(inner);

      // Act
      for (let payment = 0; payment < 9; payment += 1) await settle(resilient);

      // Assert: 4 failed payments, 1 decline, 4 failed payments
      expect(resilient.circuit).toBe('closed');
    });

    it('opens after the threshold it is given', async () => {
      // Arrange
      const resilient = new ResilientProcessor(new ScriptedProcessor([unavailable()]), { breakerThreshold: 2, attempts: 1 });

      // Act
      await settle(resilient);
      await settle(resilient);

      // Assert
      expect(await settle(resilient)).toBeInstanceOf(ProcessorCircuitOpenError);
    });

    it('lets a trial payment through after 30 s and closes when it succeeds', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable(), unavailable(), approved]);
      const changes: CircuitStatus[] = [];
      const resilient = new ResilientProcessor(inner, {
        attempts: 1,
        breakerThreshold: 2,
        onCircuitChange: (status) => changes.push(status),
      });
      await settle(resilient);
      await settle(resilient);

      // Act
      vi.advanceTimersByTime(29_999);
      const stillOpen = await settle(resilient);
      vi.advanceTimersByTime(1);
      const trial = await settle(resilient);

      // Assert
      expect(stillOpen).toBeInstanceOf(ProcessorCircuitOpenError);
      expect(trial).toEqual(approved);
      expect(inner.calls).toBe(3);
      expect(resilient.circuit).toBe('closed');
      expect(changes).toEqual(['open', 'half_open', 'closed']);
    });

    it('opens again when the trial payment fails too', async () => {
      // Arrange
      const inner = new ScriptedProcessor([unavailable()]);
      const resilient = new ResilientProcessor(inner, { attempts: 2, breakerThreshold: 1, halfOpenAfterMs: 1_000 });
      await settle(resilient);
      vi.advanceTimersByTime(1_000);

      // Act
      const trial = await settle(resilient);
      const next = await settle(resilient);

      // Assert
      expect(trial).toBeInstanceOf(ProcessorUnavailableError);
      expect(next).toBeInstanceOf(ProcessorCircuitOpenError);
      expect(inner.calls).toBe(4);
    });
  });

  describe('riding out an outage (the authorize worker\'s policy)', () => {
    const hour = 3_600;
    const createdAt = Date.UTC(2030, 0, 1);
    /** 30 s first, 15 min at most, 12 hours in all; no jitter unless a test asks. */
    const outage: OutagePolicy = {
      createdAt: () => createdAt,
      firstRetrySeconds: 30,
      maxRetrySeconds: 900,
      giveUpAfterSeconds: 12 * hour,
      random: () => 0,
    };
    const at = (secondsAfterCreation: number): void => {
      vi.setSystemTime(createdAt + secondsAfterCreation * 1000);
    };
    const timeout = (): ProcessorUnavailableError => new ProcessorUnavailableError('timeout');

    it('puts a payment off, without failing it, when the circuit is open', async () => {
      // Arrange
      at(0);
      const resilient = new ResilientProcessor(new ScriptedProcessor([unavailable()]), { attempts: 1, breakerThreshold: 1, outage });
      await settle(resilient);

      // Act
      const next = await settle(resilient);

      // Assert
      expect(resilient.circuit).toBe('open');
      expect(next).toBeInstanceOf(ProcessorOutageError);
      expect(next).not.toBeInstanceOf(ProcessorUnavailableError);
      expect(next).toMatchObject({ retryAfterSeconds: 30 });
    });

    it('puts off the payment whose failure opened the circuit: the processor is out, not its card', async () => {
      // Arrange
      at(0);
      const resilient = new ResilientProcessor(new ScriptedProcessor([unavailable()]), { attempts: 1, breakerThreshold: 2, outage });
      const first = await settle(resilient);

      // Act
      const second = await settle(resilient);

      // Assert: the first failed alone, with the circuit closed; the second opened it.
      expect(first).toMatchObject({ reason: 'processing_error' });
      expect(first).toBeInstanceOf(ProcessorUnavailableError);
      expect(second).toBeInstanceOf(ProcessorOutageError);
    });

    it('puts a payment off when its tries got no answer at all, even with the circuit closed: the outcome is unknown', async () => {
      // Arrange
      at(0);
      const inner = new ScriptedProcessor([timeout()]);

      // Act
      const result = await settle(new ResilientProcessor(inner, { outage }));

      // Assert
      expect(result).toBeInstanceOf(ProcessorOutageError);
      expect(inner.calls).toBe(3);
    });

    it('still fails a payment the processor answers with a processing error while it answers others (sandbox card 0119)', async () => {
      // Arrange
      at(0);
      const inner = new ScriptedProcessor([unavailable()]);

      // Act
      const result = await settle(new ResilientProcessor(inner, { outage }));

      // Assert
      expect(result).toBeInstanceOf(ProcessorUnavailableError);
      expect(result).toMatchObject({ reason: 'processing_error' });
    });

    it('waits longer the longer the payment has waited: as long again, from 30 s up to 15 min', () => {
      const delays = [0, 20, 60, 300, 600, 900, 3 * hour].map((waited) => outageRetryDelaySeconds(waited, outage, 0));

      expect(delays).toEqual([30, 30, 60, 300, 600, 900, 900]);
    });

    it('takes at most a tenth off a wait for jitter, and never waits past the deadline', () => {
      expect(outageRetryDelaySeconds(600, outage, 0.999)).toBe(541);
      expect(outageRetryDelaySeconds(12 * hour - 100, outage, 0)).toBe(100);
      expect(outageRetryDelaySeconds(12 * hour - 0.2, outage, 0)).toBe(1);
    });

    it('fails the payment with processor_unavailable once it is 12 hours old and the processor is still out', async () => {
      // Arrange
      const resilient = new ResilientProcessor(new ScriptedProcessor([timeout()]), { attempts: 1, outage });

      // Act
      at(12 * hour - 1);
      const justBefore = await settle(resilient);
      at(12 * hour);
      const atDeadline = await settle(resilient);

      // Assert
      expect(justBefore).toBeInstanceOf(ProcessorOutageError);
      expect(justBefore).toMatchObject({ retryAfterSeconds: 1 });
      expect(atDeadline).toBeInstanceOf(ProcessorUnavailableError);
      expect(atDeadline).toMatchObject({ reason: 'processor_unavailable' });
    });

    /**
     * One payment through a whole outage, as the queue replays it: each put-off brings it back after the delay
     * it asked for (the worker sets it as its message's visibility timeout).
     */
    async function lifeOfAPaymentThrough(outageHours: number): Promise<{ result: AuthorizationResult | Error; asks: number; endedAt: number }> {
      const upAgainAt = createdAt + outageHours * hour * 1000;
      const inner: CardProcessor = {
        authorize: () => (Date.now() < upAgainAt ? Promise.reject(timeout()) : Promise.resolve(approved)),
      };
      const resilient = new ResilientProcessor(inner, { outage: { ...outage, random: Math.random } });
      let now = 0;
      for (let asks = 1; ; asks += 1) {
        at(now);
        const result = await settle(resilient);
        if (!(result instanceof ProcessorOutageError)) return { result, asks, endedAt: (Date.now() - createdAt) / 1000 };
        now = (Date.now() - createdAt) / 1000 + (result.retryAfterSeconds ?? Number.NaN);
      }
    }

    it('authorizes a payment caught in an 11-hour outage within 15 minutes of the processor coming back', async () => {
      const { result, asks, endedAt } = await lifeOfAPaymentThrough(11);

      expect(result).toEqual(approved);
      expect(endedAt).toBeGreaterThanOrEqual(11 * hour);
      expect(endedAt).toBeLessThanOrEqual(11 * hour + 900 + 60);
      // The queue must allow this many receives (lib/topology.ts authorization.maxReceiveCount, test/infra).
      expect(asks).toBeLessThan(70);
    });

    it('ends a payment caught in a longer outage failed, processor_unavailable, at its 12-hour deadline', async () => {
      const { result, endedAt } = await lifeOfAPaymentThrough(13);

      expect(result).toBeInstanceOf(ProcessorUnavailableError);
      expect(result).toMatchObject({ reason: 'processor_unavailable' });
      expect(endedAt).toBeGreaterThanOrEqual(12 * hour);
      expect(endedAt).toBeLessThanOrEqual(12 * hour + 60);
    });
  });
});
