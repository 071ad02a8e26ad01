import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../functions/core/concurrency.ts';

describe('mapWithConcurrency', () => {
  it('runs at most `limit` calls at a time and keeps the input order', async () => {
    let running = 0;
    let mostRunning = 0;
    const items = Array.from({ length: 35 }, (_, index) => index);

    const results = await mapWithConcurrency(items, 10, async (item) => {
      running += 1;
      mostRunning = Math.max(mostRunning, running);
      // Later items finish sooner, so order comes from the index, not from completion.
      for (let tick = 0; tick < 40 - item; tick += 1) await Promise.resolve();
      running -= 1;
      return item * 2;
    });

    expect(mostRunning).toBe(10);
    expect(results).toEqual(items.map((item) => item * 2));
  });

  it('answers an empty list with an empty list', async () => {
    expect(await mapWithConcurrency([], 10, async () => 1)).toEqual([]);
  });
});
