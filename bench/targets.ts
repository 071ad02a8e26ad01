/**
 * The project's performance targets and how a bench run is judged against them. Pure: the bench feeds it
 * what it measured.
 */
import { ratio } from './stats.ts';

export const TARGETS = {
  /**
   * With data-key caching, KMS is asked about once per cached key, not per payment. Judged on the
   * steady-state estimate (bench/kms-model.ts): a short bench run with warm caches always sees 0.
   */
  kmsRequestsPerThousandPayments: 2,
  /** `POST /payments` against the one-PutItem floor, both at 10 connections. */
  minThroughputRatio: 0.5,
  maxP99Ratio: 3,
  maxBundleBytes: 400 * 1024,
  maxColdInitMs: 150,
  maxUsdPerMillionPayments: 15,
} as const;

export type TargetStatus = 'PASS' | 'MISS' | 'SKIP';

export interface TargetResult {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

export interface HttpPoint {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
}

export interface BundlePoint {
  readonly name: string;
  readonly bytes: number;
  /** Undefined when the cold start could not be measured. */
  readonly coldInitMedianMs: number | undefined;
}

export interface TargetInputs {
  /** The steady-state estimate, which the target judges. */
  readonly kmsRequestsPerPayment: number | undefined;
  /** What the run itself saw, shown beside it. */
  readonly kmsMeasuredPerPayment?: number | undefined;
  readonly createAt10: HttpPoint | undefined;
  readonly floorAt10: HttpPoint | undefined;
  readonly bundles: readonly BundlePoint[];
  readonly usdPerMillionPayments: number | undefined;
}

const skipped = (name: string, target: string, why: string): TargetResult => ({ name, target, measured: why, status: 'SKIP' });
const judged = (name: string, target: string, measured: string, pass: boolean): TargetResult => ({
  name,
  target,
  measured,
  status: pass ? 'PASS' : 'MISS',
});

export function evaluateTargets(inputs: TargetInputs): TargetResult[] {
  return [
    kmsTarget(inputs.kmsRequestsPerPayment, inputs.kmsMeasuredPerPayment),
    ...httpTargets(inputs.createAt10, inputs.floorAt10),
    bundleSizeTarget(inputs.bundles),
    coldInitTarget(inputs.bundles),
    costTarget(inputs.usdPerMillionPayments),
  ];
}

function kmsTarget(estimatedPerPayment: number | undefined, measuredPerPayment: number | undefined): TargetResult {
  const name = 'KMS requests per 1,000 payments (steady-state estimate)';
  const target = `≤ ${TARGETS.kmsRequestsPerThousandPayments}`;
  if (estimatedPerPayment === undefined) return skipped(name, target, 'not measured');
  const perThousand = estimatedPerPayment * 1000;
  const measured = measuredPerPayment === undefined ? '' : ` (run measured ${(measuredPerPayment * 1000).toFixed(1)})`;
  return judged(name, target, `${perThousand.toFixed(1)}${measured}`, perThousand <= TARGETS.kmsRequestsPerThousandPayments);
}

function httpTargets(create: HttpPoint | undefined, floor: HttpPoint | undefined): TargetResult[] {
  const throughputName = 'POST /payments throughput vs floor (10 conn)';
  const throughputTarget = `≥ ${TARGETS.minThroughputRatio}×`;
  const latencyName = 'POST /payments p99 vs floor p99 (10 conn)';
  const latencyTarget = `≤ ${TARGETS.maxP99Ratio}×`;
  if (create === undefined || floor === undefined) {
    return [skipped(throughputName, throughputTarget, 'not measured'), skipped(latencyName, latencyTarget, 'not measured')];
  }
  const throughput = ratio(create.requestsPerSecond, floor.requestsPerSecond);
  const latency = ratio(create.p99Ms, floor.p99Ms);
  return [
    throughput === undefined
      ? skipped(throughputName, throughputTarget, 'floor served nothing')
      : judged(
          throughputName,
          throughputTarget,
          `${throughput.toFixed(2)}× (${create.requestsPerSecond.toFixed(0)} vs ${floor.requestsPerSecond.toFixed(0)} req/s)`,
          throughput >= TARGETS.minThroughputRatio,
        ),
    latency === undefined
      ? skipped(latencyName, latencyTarget, 'floor served nothing')
      : judged(
          latencyName,
          latencyTarget,
          `${latency.toFixed(2)}× (${create.p99Ms.toFixed(1)} vs ${floor.p99Ms.toFixed(1)} ms)`,
          latency <= TARGETS.maxP99Ratio,
        ),
  ];
}

function bundleSizeTarget(bundles: readonly BundlePoint[]): TargetResult {
  const name = 'Largest bundle (minified)';
  const target = `≤ ${TARGETS.maxBundleBytes / 1024} KB each`;
  const largest = [...bundles].sort((a, b) => b.bytes - a.bytes)[0];
  if (largest === undefined) return skipped(name, target, 'not measured');
  const over = bundles.filter((bundle) => bundle.bytes > TARGETS.maxBundleBytes).map((bundle) => bundle.name);
  const measured = `${largest.name} ${kilobytes(largest.bytes)}` + (over.length > 0 ? `; over: ${over.join(', ')}` : '');
  return judged(name, target, measured, over.length === 0);
}

function coldInitTarget(bundles: readonly BundlePoint[]): TargetResult {
  const name = 'Slowest cold init (median)';
  const target = `≤ ${TARGETS.maxColdInitMs} ms each`;
  const measured = bundles.filter((bundle): bundle is BundlePoint & { coldInitMedianMs: number } => bundle.coldInitMedianMs !== undefined);
  const slowest = [...measured].sort((a, b) => b.coldInitMedianMs - a.coldInitMedianMs)[0];
  if (slowest === undefined) return skipped(name, target, 'not measured');
  const over = measured.filter((bundle) => bundle.coldInitMedianMs > TARGETS.maxColdInitMs).map((bundle) => bundle.name);
  const unmeasured = bundles.length - measured.length;
  const text =
    `${slowest.name} ${slowest.coldInitMedianMs.toFixed(0)} ms` +
    (over.length > 0 ? `; over: ${over.join(', ')}` : '') +
    (unmeasured > 0 ? `; ${unmeasured} not measured` : '');
  return judged(name, target, text, over.length === 0 && unmeasured === 0);
}

function costTarget(usd: number | undefined): TargetResult {
  const name = 'AWS cost per million payments';
  const target = `≤ $${TARGETS.maxUsdPerMillionPayments}`;
  if (usd === undefined) return skipped(name, target, 'not measured');
  return judged(name, target, `$${usd.toFixed(2)}`, usd <= TARGETS.maxUsdPerMillionPayments);
}

export function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
