/**
 * When each webhook attempt is due. The contract's schedule is Standard Webhooks': at once, then 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the attempt before, ten attempts in all. Each wait is
 * spread by ±10 % jitter so that endpoints that failed together are not retried together.
 */
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';

/** Seconds to wait before attempts 2, 3, ...: one fewer than the attempts. */
export const DEFAULT_RETRY_DELAYS_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

const JITTER_FRACTION = 0.1;

export class RetrySchedule {
  /** @param delaysSeconds the waits before attempt 2, 3, ...; attempt 1 is at once. */
  constructor(
    readonly delaysSeconds: readonly number[],
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts in all: the first, and one after each delay. */
  get attempts(): number {
    return this.delaysSeconds.length + 1;
  }

  /**
   * Milliseconds to wait after attempt `attempt` failed before the next one, jittered; undefined when it was
   * the last attempt.
   */
  delayAfter(attempt: number): number | undefined {
    const seconds = this.delaysSeconds[attempt - 1];
    if (seconds === undefined) return undefined;
    const jitter = 1 + (this.random() * 2 - 1) * JITTER_FRACTION;
    return Math.round(seconds * 1000 * jitter);
  }
}

const delaysSchema = z
  .string()
  .trim()
  .transform((value, context) => {
    const delays = value.split(',').map((part) => Number(part.trim()));
    if (value === '' || delays.some((delay) => !Number.isFinite(delay) || delay < 0 || delay > 7 * 24 * 3600)) {
      context.addIssue({ code: 'custom', message: 'must be comma-separated seconds, each 0 to 604800' });
      return z.NEVER;
    }
    return delays;
  });

/** `WEBHOOK_RETRY_DELAYS` (e.g. `5,300,1800`), read once at start-up; the contract's schedule when unset. */
export function retryScheduleFromEnv(source: NodeJS.ProcessEnv = process.env): RetrySchedule {
  const value = source[env.webhookRetryDelays];
  if (value === undefined || value === '') return new RetrySchedule(DEFAULT_RETRY_DELAYS_SECONDS);
  const delays = loadConfig({ [env.webhookRetryDelays]: delaysSchema }, source)[env.webhookRetryDelays] as number[];
  return new RetrySchedule(delays);
}
