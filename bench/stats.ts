/**
 * The arithmetic of the bench, kept pure so that test/bench can check it without timing anything.
 */

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The nearest-rank percentile (the smallest sample with at least `p` percent of the samples at or below
 * it), so every reported latency is one a request really had. `sorted` must be ascending.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] ?? Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * The median: the middle sample for odd n, the mean of the two middle ones for even n (so with two cold
 * starts it is not simply the faster one). Unlike `percentile`, an even count can give a value no sample had.
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** `value / floor`, or undefined when there is no floor to compare with. */
export function ratio(value: number, floor: number): number | undefined {
  if (!Number.isFinite(value) || !Number.isFinite(floor) || floor <= 0) return undefined;
  return value / floor;
}

/** What changed between two counter snapshots, by name; names only in `after` count from zero. */
export function counterDelta(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const change = value - (before[name] ?? 0);
    if (change !== 0) delta[name] = change;
  }
  return delta;
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Per name, the larger of two counts: what two vantage points saw of the same requests, neither trusted to see all. */
export function largerOfEach(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const larger: Record<string, number> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) larger[name] = Math.max(a[name] ?? 0, b[name] ?? 0);
  return larger;
}
