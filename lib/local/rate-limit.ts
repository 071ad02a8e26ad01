/**
 * Throttling on one machine, standing in for what the cloud does in front of the API (the usage plan's
 * per-merchant throttle, the WAF's per-key rate rule and the stage's token bucket,
 * lib/constructs/gateway-api.ts): a token bucket per merchant, refilled at `ratePerSecond` up to `burst`.
 * Over it, the answer is 429 `rate_limited` with `Retry-After`, before any function runs.
 */
import * as z from 'zod';

export interface RateLimit {
  /** Tokens added per second: the sustained request rate. */
  readonly ratePerSecond: number;
  /** The bucket's size: how many requests may come at once after a quiet spell. */
  readonly burst: number;
}

/** Generous, so that tests and the benchmark are not throttled unless they ask to be. */
export const DEFAULT_RATE_LIMIT: RateLimit = { ratePerSecond: 1_000, burst: 2_000 };

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.updatedAt = now;
  }

  /** Takes one token: 0 when the request may go, else the whole seconds to wait before one will be there. */
  take(now: number): number {
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsedSeconds * this.limit.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limit.ratePerSecond));
  }
}

/** One bucket per key, made on the key's first request. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number = Date.now,
  ) {}

  /** 0 when the request may go, else the `Retry-After` seconds. */
  take(key: string): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.limit, this.clock());
      this.buckets.set(key, bucket);
    }
    return bucket.take(this.clock());
  }
}

const rateLimitEnv = z.object({
  RATE_LIMIT_RPS: z.coerce.number().positive().max(1_000_000).default(DEFAULT_RATE_LIMIT.ratePerSecond),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMIT.burst),
});

/** `RATE_LIMIT_RPS` and `RATE_LIMIT_BURST`, checked at start-up: a bad value stops the start with its name. */
export function rateLimitFromEnv(source: NodeJS.ProcessEnv = process.env): RateLimit {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = rateLimitEnv.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return { ratePerSecond: parsed.data.RATE_LIMIT_RPS, burst: parsed.data.RATE_LIMIT_BURST };
}
