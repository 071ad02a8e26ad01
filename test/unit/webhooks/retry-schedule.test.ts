import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_DELAYS_SECONDS, RetrySchedule, retryScheduleFromEnv } from '../../../functions/webhooks/retry-schedule.ts';

describe('webhook retry schedule', () => {
  it("is the contract's schedule by default: ten attempts, 5 s to 24 h apart", () => {
    const schedule = retryScheduleFromEnv({});

    expect(schedule.attempts).toBe(10);
    expect(schedule.delaysSeconds).toEqual([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
  });

  it('jitters each wait by at most 10 %', () => {
    const low = new RetrySchedule(DEFAULT_RETRY_DELAYS_SECONDS, () => 0);
    const high = new RetrySchedule(DEFAULT_RETRY_DELAYS_SECONDS, () => 0.999_999);

    expect(low.delayAfter(1)).toBe(4_500);
    expect(high.delayAfter(1)).toBe(5_500);
    expect(low.delayAfter(9)).toBe(77_760_000);
  });

  it('has no wait after the last attempt', () => {
    const schedule = new RetrySchedule([1, 2]);

    expect(schedule.delayAfter(3)).toBeUndefined();
    expect(schedule.attempts).toBe(3);
  });

  it('takes WEBHOOK_RETRY_DELAYS, and refuses a malformed one at start-up', () => {
    expect(retryScheduleFromEnv({ WEBHOOK_RETRY_DELAYS: '0, 0.5,2' }).delaysSeconds).toEqual([0, 0.5, 2]);
    expect(() => retryScheduleFromEnv({ WEBHOOK_RETRY_DELAYS: '5,soon' })).toThrow(/WEBHOOK_RETRY_DELAYS/);
    expect(() => retryScheduleFromEnv({ WEBHOOK_RETRY_DELAYS: '-1' })).toThrow(/WEBHOOK_RETRY_DELAYS/);
  });
});
