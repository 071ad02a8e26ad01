import { describe, expect, it } from 'vitest';
import { RateLimiter, rateLimitFromEnv, TokenBucket } from '../../lib/local/rate-limit.ts';

describe('token bucket per merchant key', () => {
  it('lets a burst through, then asks the next request to wait', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, 0);

    const answers = [bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)];

    expect(answers).toEqual([0, 0, 0, 1]);
  });

  it('refills at the rate, never above the burst', () => {
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2 }, 0);
    bucket.take(0);
    bucket.take(0);

    expect(bucket.take(500)).toBe(0);
    expect(bucket.take(500)).toBe(1);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([0, 0, 1]);
  });

  it('gives a Retry-After long enough for a token at a slow rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 0.1, burst: 1 }, 0);
    bucket.take(0);

    expect(bucket.take(0)).toBe(10);
  });

  it('keeps one bucket per key', () => {
    const now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, () => now);

    expect([limiter.take('key_a'), limiter.take('key_a'), limiter.take('key_b')]).toEqual([0, 1, 0]);
  });

  it('reads RATE_LIMIT_RPS and RATE_LIMIT_BURST, with generous defaults', () => {
    expect(rateLimitFromEnv({})).toEqual({ ratePerSecond: 1000, burst: 2000 });
    expect(rateLimitFromEnv({ RATE_LIMIT_RPS: '5', RATE_LIMIT_BURST: '10' })).toEqual({ ratePerSecond: 5, burst: 10 });
    expect(() => rateLimitFromEnv({ RATE_LIMIT_RPS: 'fast' })).toThrow(/RATE_LIMIT_RPS/);
  });
});
