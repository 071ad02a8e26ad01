/**
 * The project's performance targets and how a bench run is judged against them. Pure: the bench feeds it
 * what it measured.
 */
import { ratio } from './stats.ts';

export const TARGETS = {
  /** Every DynamoDB request of a payment's whole lifecycle, the workers' and the webhooks' included. */
  maxDynamoRequestsPerPayment: 14,
  /** Table and (estimated) index write units of a payment's whole lifecycle. */
  maxDynamoWriteUnitsPerPayment: 16,
  /**
   * Write units per payment on the single partition key (table or index) that takes the most: DynamoDB gives
   * a partition 1,000 WCU/s, so this many per payment caps one merchant at 1,000 payments a second.
   */
  maxHottestPartitionWriteUnitsPerPayment: 1,
  /** Sends, receives (the pollers' empty ones included) and deletes of a payment's whole lifecycle. */
  maxSqsRequestsPerPayment: 8,
  maxUsdPerMillionPayments: 20,
  /** `POST /payments` against the one-PutItem floor, both at 10 connections. */
  minThroughputRatio: 0.3,
  maxP99Ratio: 4,
  /**
   * With data-key caching, KMS is asked about once per cached key, not per payment. Judged on the
   * steady-state estimate (bench/kms-model.ts): a short bench run with warm caches always sees 0.
   */
  kmsRequestsPerThousandPayments: 2,
  maxBundleBytes: 400 * 1024,
  maxColdInitMs: 150,
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

/** What the lifecycle measured per payment; absent when the lifecycle did not run. */
export interface LifecyclePoint {
  /** False when the lifecycle timed out: its counts are then lower bounds, which cannot pass a ceiling. */
  readonly drained: boolean;
  readonly dynamodbRequestsPerPayment: number;
  readonly tableWriteUnitsPerPayment: number;
  readonly indexWriteUnitsPerPayment: number;
  /** The partition key (table or index) with the most write units per payment. */
  readonly hottestPartition: { readonly where: string; readonly key: string; readonly unitsPerPayment: number } | undefined;
  readonly sqsRequestsPerPayment: number;
  readonly usdPerMillionPayments: number;
}

export interface TargetInputs {
  readonly lifecycle: LifecyclePoint | undefined;
  /** The steady-state estimate, which the target judges. */
  readonly kmsRequestsPerPayment: number | undefined;
  /** What the run itself saw, shown beside it. */
  readonly kmsMeasuredPerPayment?: number | undefined;
  readonly createAt10: HttpPoint | undefined;
  readonly floorAt10: HttpPoint | undefined;
  readonly bundles: readonly BundlePoint[];
}

const skipped = (name: string, target: string, why: string): TargetResult => ({ name, target, measured: why, status: 'SKIP' });
const judged = (name: string, target: string, measured: string, pass: boolean): TargetResult => ({
  name,
  target,
  measured,
  status: pass ? 'PASS' : 'MISS',
});

export const TARGET_NAMES = {
  dynamodbRequests: 'DynamoDB requests per payment, lifecycle',
  dynamodbWriteUnits: 'DynamoDB write units per payment (table + index)',
  hottestPartition: 'Write units per payment on the hottest partition key (table or index)',
  sqsRequests: 'SQS requests per payment',
  cost: 'AWS cost per million payments, whole lifecycle',
  throughput: 'POST /payments throughput ÷ floor, 10 connections',
  p99: 'POST /payments p99 ÷ floor p99, 10 connections',
  kms: 'KMS requests per 1,000 payments (steady-state model)',
  bundleSize: 'Largest bundle (minified)',
  coldInit: 'Slowest cold init (median)',
} as const;

export function evaluateTargets(inputs: TargetInputs): TargetResult[] {
  return [
    ...lifecycleTargets(inputs.lifecycle),
    ...httpTargets(inputs.createAt10, inputs.floorAt10),
    kmsTarget(inputs.kmsRequestsPerPayment, inputs.kmsMeasuredPerPayment),
    bundleSizeTarget(inputs.bundles),
    coldInitTarget(inputs.bundles),
  ];
}

function lifecycleTargets(lifecycle: LifecyclePoint | undefined): TargetResult[] {
  const ceiling = (
    name: string,
    limit: number,
    unit: (value: number) => string,
    value: (point: LifecyclePoint) => number | undefined,
    detail?: (point: LifecyclePoint) => string,
  ): TargetResult => {
    const target = `≤ ${unit(limit)}`;
    if (lifecycle === undefined) return skipped(name, target, 'not measured');
    const measured = value(lifecycle);
    if (measured === undefined) return skipped(name, target, 'nothing written');
    const text = unit(measured) + (detail === undefined ? '' : ` (${detail(lifecycle)})`) + (lifecycle.drained ? '' : '; lifecycle did not drain, so a lower bound');
    return judged(name, target, text, lifecycle.drained && measured <= limit);
  };
  const plain = (decimals: number) => (value: number) => value.toFixed(decimals).replace(/\.0+$/, '');
  return [
    ceiling(TARGET_NAMES.dynamodbRequests, TARGETS.maxDynamoRequestsPerPayment, plain(2), (point) => point.dynamodbRequestsPerPayment),
    ceiling(
      TARGET_NAMES.dynamodbWriteUnits,
      TARGETS.maxDynamoWriteUnitsPerPayment,
      plain(2),
      (point) => point.tableWriteUnitsPerPayment + point.indexWriteUnitsPerPayment,
      (point) => `table ${point.tableWriteUnitsPerPayment.toFixed(2)} + index ${point.indexWriteUnitsPerPayment.toFixed(2)}`,
    ),
    ceiling(
      TARGET_NAMES.hottestPartition,
      TARGETS.maxHottestPartitionWriteUnitsPerPayment,
      plain(3),
      (point) => point.hottestPartition?.unitsPerPayment,
      (point) => {
        const hottest = point.hottestPartition;
        return hottest === undefined ? '' : `${hottest.where === 'table' ? 'table' : `index ${hottest.where}`} ${hottest.key}`;
      },
    ),
    ceiling(TARGET_NAMES.sqsRequests, TARGETS.maxSqsRequestsPerPayment, plain(2), (point) => point.sqsRequestsPerPayment),
    ceiling(TARGET_NAMES.cost, TARGETS.maxUsdPerMillionPayments, (value) => `$${value.toFixed(2).replace(/\.00$/, '')}`, (point) => point.usdPerMillionPayments),
  ];
}

function kmsTarget(estimatedPerPayment: number | undefined, measuredPerPayment: number | undefined): TargetResult {
  const name = TARGET_NAMES.kms;
  const target = `≤ ${TARGETS.kmsRequestsPerThousandPayments}`;
  if (estimatedPerPayment === undefined) return skipped(name, target, 'not measured');
  const perThousand = estimatedPerPayment * 1000;
  const measured = measuredPerPayment === undefined ? '' : ` (run measured ${(measuredPerPayment * 1000).toFixed(1)})`;
  return judged(name, target, `${perThousand.toFixed(1)}${measured}`, perThousand <= TARGETS.kmsRequestsPerThousandPayments);
}

function httpTargets(create: HttpPoint | undefined, floor: HttpPoint | undefined): TargetResult[] {
  const throughputName = TARGET_NAMES.throughput;
  const throughputTarget = `≥ ${TARGETS.minThroughputRatio}×`;
  const latencyName = TARGET_NAMES.p99;
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
  const name = TARGET_NAMES.bundleSize;
  const target = `≤ ${TARGETS.maxBundleBytes / 1024} KB each`;
  const largest = [...bundles].sort((a, b) => b.bytes - a.bytes)[0];
  if (largest === undefined) return skipped(name, target, 'not measured');
  const over = bundles.filter((bundle) => bundle.bytes > TARGETS.maxBundleBytes).map((bundle) => bundle.name);
  const measured = `${largest.name} ${kilobytes(largest.bytes)}` + (over.length > 0 ? `; over: ${over.join(', ')}` : '');
  return judged(name, target, measured, over.length === 0);
}

function coldInitTarget(bundles: readonly BundlePoint[]): TargetResult {
  const name = TARGET_NAMES.coldInit;
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

export function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
