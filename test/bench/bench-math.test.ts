import { describe, expect, it } from 'vitest';
import { billedMilliseconds, costPerMillionPayments, LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION, type PaymentUsage } from '../../bench/cost.ts';
import { estimateSteadyStateKms } from '../../bench/kms-model.ts';
import { defaultDataKeyCacheLimits } from '../../functions/adapters/card-vault.ts';
import { resultsJson, toMarkdown, toText } from '../../bench/report.ts';
import { counterDelta, median, percentile, ratio, summarizeLatencies } from '../../bench/stats.ts';
import { evaluateTargets, TARGET_NAMES, TARGETS, type LifecyclePoint, type TargetInputs, type TargetResult } from '../../bench/targets.ts';

const NOTHING_USED: PaymentUsage = {
  apiRequests: 0,
  functions: [],
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  sqsRequests: 0,
  kmsRequests: 0,
  logBytes: 0,
};

/**
 * Public us-east-1 list prices, written out here rather than imported from bench/cost.ts, so that a wrong
 * constant there fails a test.
 */
const LIST_PRICES_USD = {
  apiGatewayRestPerRequest: 3.5 / 1_000_000,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1_000_000,
  dynamoPerWriteUnit: 0.625 / 1_000_000,
  dynamoPerReadUnit: 0.125 / 1_000_000,
  sqsPerRequest: 0.4 / 1_000_000,
  kmsPerRequest: 0.03 / 10_000,
  logsPerGb: 0.5,
  xrayPerTrace: 5 / 1_000_000,
} as const;
const MILLION = 1_000_000;

const costOf = (usage: Partial<PaymentUsage>, item: string): number | undefined =>
  costPerMillionPayments({ ...NOTHING_USED, ...usage }).lines.find((line) => line.item.startsWith(item))?.usdPerMillionPayments;

describe('percentiles and ratios', () => {
  it('takes the nearest-rank percentile, so every reported value is a real sample', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);

    expect([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([50, 95, 99, 100]);
  });

  it('summarizes unsorted samples', () => {
    const summary = summarizeLatencies([9, 1, 5, 3, 7]);

    expect(summary).toEqual({ count: 5, p50: 5, p95: 9, p99: 9, max: 9 });
  });

  it('has no percentile without samples', () => {
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('takes the median without sorting the caller\'s array', () => {
    const values = [30, 10, 20];

    expect(median(values)).toBe(20);
    expect(values).toEqual([30, 10, 20]);
  });

  it('takes the mean of the two middle values for an even count', () => {
    expect(median([40, 10, 30, 20])).toBe(25);
    expect(median([100, 120])).toBe(110);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('divides by the floor, and gives no ratio for an empty floor', () => {
    expect(ratio(300, 600)).toBe(0.5);
    expect(ratio(300, 0)).toBeUndefined();
    expect(ratio(Number.NaN, 10)).toBeUndefined();
  });

  it('tells what changed between two counter snapshots', () => {
    expect(counterDelta({ PutItem: 3, GetItem: 1 }, { PutItem: 5, GetItem: 1, Query: 2 })).toEqual({ PutItem: 2, Query: 2 });
  });
});

describe('cost per million payments', () => {
  it('prices one API request per payment at the REST API rate', () => {
    expect(costOf({ apiRequests: 1 }, 'API Gateway')).toBeCloseTo(3.5, 6);
  });

  it.each([
    ['API Gateway REST requests', { apiRequests: 1 }, LIST_PRICES_USD.apiGatewayRestPerRequest],
    ['DynamoDB on-demand writes', { dynamoWriteUnits: 1 }, LIST_PRICES_USD.dynamoPerWriteUnit],
    ['DynamoDB on-demand reads', { dynamoReadUnits: 1 }, LIST_PRICES_USD.dynamoPerReadUnit],
    ['SQS requests', { sqsRequests: 1 }, LIST_PRICES_USD.sqsPerRequest],
    ['KMS requests', { kmsRequests: 1 }, LIST_PRICES_USD.kmsPerRequest],
    ['CloudWatch Logs ingestion', { logBytes: 1024 ** 3 }, LIST_PRICES_USD.logsPerGb],
  ] as const)('prices one unit of %s at the list price', (item, usage, usdPerUnit) => {
    expect(costOf(usage, item)).toBeCloseTo(usdPerUnit * MILLION, 9);
  });

  it('prices Lambda requests, GB-seconds and sampled X-Ray traces at the list prices', () => {
    const usage = { functions: [{ name: 'payments', memoryMb: 1024, invocations: 1, billedMs: 1000 }] };

    expect(costOf(usage, 'Lambda requests')).toBeCloseTo(LIST_PRICES_USD.lambdaPerRequest * MILLION, 9);
    expect(costOf(usage, 'Lambda arm64 duration')).toBeCloseTo(LIST_PRICES_USD.lambdaArmPerGbSecond * MILLION, 9);
    expect(costOf(usage, 'X-Ray traces')).toBeCloseTo(0.05 * LIST_PRICES_USD.xrayPerTrace * MILLION, 9);
  });

  it('prices Lambda duration in GB-seconds at the configured memory', () => {
    const usage = { functions: [{ name: 'payments', memoryMb: 512, invocations: 1, billedMs: 100 }] };

    expect(costOf(usage, 'Lambda arm64 duration')).toBeCloseTo(0.5 * 0.1 * LIST_PRICES_USD.lambdaArmPerGbSecond * MILLION, 6);
    expect(costOf(usage, 'Lambda requests')).toBeCloseTo(0.2, 6);
  });

  it('adds Lambda\'s own log lines to what the functions logged', () => {
    const usage = { logBytes: 1000, functions: [{ name: 'payments', memoryMb: 512, invocations: 2, billedMs: 2 }] };
    const expectedGb = (1000 + 2 * LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION) / 1024 ** 3;

    expect(costOf(usage, 'CloudWatch Logs')).toBeCloseTo(expectedGb * 0.5 * 1_000_000, 6);
  });

  it('totals every line', () => {
    const estimate = costPerMillionPayments({ ...NOTHING_USED, apiRequests: 1, kmsRequests: 0.002, dynamoWriteUnits: 4, dynamoReadUnits: 3, sqsRequests: 6 });
    const expected = 3.5 + 0.002 * LIST_PRICES_USD.kmsPerRequest * MILLION + 4 * 0.625 + 3 * 0.125 + 6 * 0.4;

    expect(estimate.totalUsdPerMillionPayments).toBeCloseTo(expected, 6);
  });

  it('bills each invocation rounded up to the millisecond', () => {
    expect(billedMilliseconds([0.2, 1, 1.01, 12.5])).toBe(1 + 1 + 2 + 13);
  });
});

describe('the steady-state KMS estimate', () => {
  const paymentFlow = [
    { name: 'payments', operations: ['encrypt'] },
    { name: 'authorizeWorker', operations: ['decrypt'] },
  ] as const;
  const DAY_SECONDS = 86_400;
  const defaults = { containersPerFunction: 10, paymentsPerSecond: 10 };

  it("counts, with the vault's own limits, one GenerateDataKey per sealing container and day, and one Decrypt per opening container and key it meets", () => {
    const estimate = estimateSteadyStateKms(paymentFlow, defaultDataKeyCacheLimits, defaults);

    // 864,000 payments a day; payments: 10 containers x 1 key; authorizeWorker: 10 containers x those 10 keys.
    const paymentsPerDay = 10 * DAY_SECONDS;
    expect(estimate.keyLifetimeSeconds).toBe(DAY_SECONDS);
    expect(estimate.byFunction.payments).toBeCloseTo((10 / paymentsPerDay) * 1000, 12);
    expect(estimate.byFunction.authorizeWorker).toBeCloseTo((100 / paymentsPerDay) * 1000, 12);
    expect(estimate.byOperation.GenerateDataKey).toBeCloseTo((10 / paymentsPerDay) * 1000, 12);
    expect(estimate.byOperation.Decrypt).toBeCloseTo((100 / paymentsPerDay) * 1000, 12);
    expect(estimate.requestsPerThousandPayments).toBeCloseTo((110 / paymentsPerDay) * 1000, 12);
    expect(estimate.requestsPerThousandPayments).toBeCloseTo(0.127, 3);
    expect(estimate.requestsPerPayment).toBeCloseTo(110 / paymentsPerDay, 15);
    expect(estimate.requestsPerThousandPayments).toBeLessThanOrEqual(TARGETS.kmsRequestsPerThousandPayments);
    expect(estimate.assumptions).toContain('10 GenerateDataKey and 100 Decrypt per 1 d for 864000 payments');
  });

  it('counts no Decrypt for the functions that seal', () => {
    const estimate = estimateSteadyStateKms(paymentFlow, defaultDataKeyCacheLimits, defaults);

    expect(estimate.byFunction.payments).toBeCloseTo(estimate.byOperation.GenerateDataKey, 12);
    expect(estimate.byFunction.authorizeWorker).toBeCloseTo(estimate.byOperation.Decrypt, 12);
  });

  it('makes a new key in every sealing container, which every opening container unwraps, each time a key ages out before the day ends', () => {
    const estimate = estimateSteadyStateKms(paymentFlow, { maxAgeMs: 3_600_000, maxUses: 1_000_000 }, defaults);

    expect(estimate.keyLifetimeSeconds).toBe(3_600);
    // 24 keys per sealing container a day: 240 GenerateDataKey, and 10 x 240 Decrypt.
    expect(estimate.byOperation.GenerateDataKey).toBeCloseTo((240 / (10 * DAY_SECONDS)) * 1000, 12);
    expect(estimate.byOperation.Decrypt).toBeCloseTo((2_400 / (10 * DAY_SECONDS)) * 1000, 12);
  });

  it('makes a new key after the maximum uses when traffic is high, counting a number and a CVC per payment', () => {
    const estimate = estimateSteadyStateKms(paymentFlow, { maxAgeMs: DAY_SECONDS * 1000, maxUses: 10_000 }, { containersPerFunction: 1, paymentsPerSecond: 100 });

    // 200 values a second in the one container of each function: a key lasts 50 s, and is unwrapped once.
    expect(estimate.keyLifetimeSeconds).toBe(50);
    expect(estimate.requestsPerThousandPayments).toBeCloseTo((2 / (100 * 50)) * 1000, 12);
  });

  it('unwraps each key once in each opening container, even when keys are retired by uses', () => {
    const estimate = estimateSteadyStateKms(paymentFlow, { maxAgeMs: DAY_SECONDS * 1000, maxUses: 100_000 }, { containersPerFunction: 2, paymentsPerSecond: 10 });

    // A sealer's key seals 10 values/s for 10,000 s (8.64 keys a day); each of 2 openers opens half of those values.
    expect(estimate.keyLifetimeSeconds).toBe(10_000);
    expect(estimate.byOperation.Decrypt).toBeCloseTo(estimate.byOperation.GenerateDataKey * 2, 12);
    expect(estimate.byOperation.GenerateDataKey).toBeCloseTo(((2 * 8.64) / (10 * DAY_SECONDS)) * 1000, 12);
  });

  it('follows a shorter period: an hour costs 24 times a day', () => {
    const daily = estimateSteadyStateKms(paymentFlow, defaultDataKeyCacheLimits, defaults);
    const hourly = estimateSteadyStateKms(paymentFlow, { ...defaultDataKeyCacheLimits, periodMs: 3_600_000 }, defaults);

    expect(hourly.keyLifetimeSeconds).toBe(3_600);
    expect(hourly.requestsPerThousandPayments).toBeCloseTo(daily.requestsPerThousandPayments * 24, 12);
  });

  it('meets no more keys than payments it opens when traffic is low', () => {
    // 10 payments a day over 10 containers: each opening container opens 1 payment, so unwraps 1 key, not 10.
    const estimate = estimateSteadyStateKms(paymentFlow, defaultDataKeyCacheLimits, { containersPerFunction: 10, paymentsPerSecond: 10 / DAY_SECONDS });

    expect(estimate.byOperation.Decrypt).toBeCloseTo((10 / 10) * 1000, 9);
  });

  it('counts both sides of a function that seals and opens, and no GenerateDataKey when nothing in the flow seals', () => {
    const both = estimateSteadyStateKms([{ name: 'both', operations: ['encrypt', 'decrypt'] }], defaultDataKeyCacheLimits, defaults);
    const openersOnly = estimateSteadyStateKms([{ name: 'authorizeWorker', operations: ['decrypt'] }], defaultDataKeyCacheLimits, defaults);

    expect(both.requestsPerThousandPayments).toBeCloseTo((110 / (10 * DAY_SECONDS)) * 1000, 12);
    expect(openersOnly.byOperation).toEqual({ GenerateDataKey: 0, Decrypt: openersOnly.requestsPerThousandPayments });
    expect(openersOnly.byOperation.Decrypt).toBeCloseTo((100 / (10 * DAY_SECONDS)) * 1000, 12);
  });

  it('needs no KMS request without a function that uses the card key', () => {
    expect(estimateSteadyStateKms([], defaultDataKeyCacheLimits, defaults).requestsPerThousandPayments).toBe(0);
  });
});

describe('targets', () => {
  const passingLifecycle: LifecyclePoint = {
    drained: true,
    dynamodbRequestsPerPayment: 12,
    tableWriteUnitsPerPayment: 9,
    indexWriteUnitsPerPayment: 5,
    hottestPartition: { where: 'byMerchant', key: 'MER#m#TXN#03', unitsPerPayment: 0.25 },
    sqsRequestsPerPayment: 7,
    usdPerMillionPayments: 18,
  };
  const passing: TargetInputs = {
    lifecycle: passingLifecycle,
    kmsRequestsPerPayment: 0.001,
    createAt10: { requestsPerSecond: 200, p99Ms: 70 },
    floorAt10: { requestsPerSecond: 500, p99Ms: 20 },
    bundles: [{ name: 'payments', bytes: 200 * 1024, coldInitMedianMs: 100 }],
  };
  const statusOf = (results: readonly TargetResult[], name: string): string | undefined => results.find((target) => target.name === name)?.status;

  it('judges the targets of issue 11, one line each, and keeps bundle size, cold init and KMS', () => {
    const results = evaluateTargets(passing);

    expect(results.map((target) => [target.name, target.target])).toEqual([
      ['DynamoDB requests per payment, lifecycle', '≤ 14'],
      ['DynamoDB write units per payment (table + index)', '≤ 16'],
      ['Write units per payment on the hottest partition key (table or index)', '≤ 1'],
      ['SQS requests per payment', '≤ 8'],
      ['AWS cost per million payments, whole lifecycle', '≤ $20'],
      ['POST /payments throughput ÷ floor, 10 connections', '≥ 0.3×'],
      ['POST /payments p99 ÷ floor p99, 10 connections', '≤ 4×'],
      ['KMS requests per 1,000 payments (steady-state model)', '≤ 2'],
      ['Largest bundle (minified)', '≤ 400 KB each'],
      ['Slowest cold init (median)', '≤ 150 ms each'],
    ]);
    expect(results.every((target) => target.status === 'PASS')).toBe(true);
  });

  it('passes each target at its limit', () => {
    const results = evaluateTargets({
      ...passing,
      lifecycle: {
        ...passingLifecycle,
        dynamodbRequestsPerPayment: 14,
        tableWriteUnitsPerPayment: 10,
        indexWriteUnitsPerPayment: 6,
        hottestPartition: { where: 'table', key: 'TXN#1', unitsPerPayment: 1 },
        sqsRequestsPerPayment: 8,
        usdPerMillionPayments: 20,
      },
      createAt10: { requestsPerSecond: 150, p99Ms: 80 },
    });

    expect(results.map((target) => target.status)).toEqual(Array.from({ length: 10 }, () => 'PASS'));
  });

  it('misses each target just past its limit, and names what is over', () => {
    const results = evaluateTargets({
      lifecycle: {
        drained: true,
        dynamodbRequestsPerPayment: 14.01,
        tableWriteUnitsPerPayment: 10,
        indexWriteUnitsPerPayment: 6.01,
        hottestPartition: { where: 'byOwner', key: 'MER#m#TXN', unitsPerPayment: 1.001 },
        sqsRequestsPerPayment: 8.01,
        usdPerMillionPayments: 20.01,
      },
      kmsRequestsPerPayment: (TARGETS.kmsRequestsPerThousandPayments + 0.1) / 1000,
      createAt10: { requestsPerSecond: 149, p99Ms: 81 },
      floorAt10: { requestsPerSecond: 500, p99Ms: 20 },
      bundles: [
        { name: 'payments', bytes: TARGETS.maxBundleBytes + 1, coldInitMedianMs: TARGETS.maxColdInitMs + 1 },
        { name: 'health', bytes: 1024, coldInitMedianMs: 10 },
      ],
    });

    expect(results.map((target) => target.status)).toEqual(Array.from({ length: 10 }, () => 'MISS'));
    expect(results.find((target) => target.name === TARGET_NAMES.hottestPartition)?.measured).toBe('1.001 (index byOwner MER#m#TXN)');
    expect(results.find((target) => target.name === TARGET_NAMES.dynamodbWriteUnits)?.measured).toBe('16.01 (table 10.00 + index 6.01)');
    expect(results.find((target) => target.name === TARGET_NAMES.bundleSize)?.measured).toContain('over: payments');
    expect(results.find((target) => target.name === TARGET_NAMES.coldInit)?.measured).toContain('over: payments');
  });

  it('does not pass a lifecycle that did not drain: its counts are only lower bounds', () => {
    const results = evaluateTargets({ ...passing, lifecycle: { ...passingLifecycle, drained: false } });

    expect(statusOf(results, TARGET_NAMES.dynamodbRequests)).toBe('MISS');
    expect(statusOf(results, TARGET_NAMES.hottestPartition)).toBe('MISS');
    expect(statusOf(results, TARGET_NAMES.cost)).toBe('MISS');
    expect(results.find((target) => target.name === TARGET_NAMES.sqsRequests)?.measured).toContain('did not drain');
  });

  it('skips what was not measured instead of passing it', () => {
    const results = evaluateTargets({ lifecycle: undefined, kmsRequestsPerPayment: undefined, createAt10: undefined, floorAt10: undefined, bundles: [] });

    expect(results).toHaveLength(10);
    expect(results.every((target) => target.status === 'SKIP')).toBe(true);
  });

  it('does not pass the cold init target when a function could not be measured', () => {
    const results = evaluateTargets({ ...passing, bundles: [...passing.bundles, { name: 'health', bytes: 1, coldInitMedianMs: undefined }] });

    expect(statusOf(results, TARGET_NAMES.coldInit)).toBe('MISS');
  });
});

describe('results.json', () => {
  it('writes one line per target after the indented results', () => {
    const targets = [
      { name: 'a', target: '≤ 1', measured: '0.5', status: 'PASS' },
      { name: 'b', target: '≤ 2', measured: '3', status: 'MISS' },
    ];

    const text = resultsJson({ generatedAt: 'today', config: { payments: 60 } }, targets);

    expect(JSON.parse(text)).toEqual({ generatedAt: 'today', config: { payments: 60 }, targets });
    expect(text.split('\n').filter((line) => line.includes('"status"'))).toEqual([
      '    {"name":"a","target":"≤ 1","measured":"0.5","status":"PASS"},',
      '    {"name":"b","target":"≤ 2","measured":"3","status":"MISS"}',
    ]);
  });
});

describe('report tables', () => {
  const table = { title: 'T', headers: ['a', 'bb'], rows: [['1|2', '3']], notes: ['why'] };

  it('escapes pipes in markdown cells', () => {
    expect(toMarkdown([table])).toContain('| 1\\|2 | 3 |');
  });

  it('pads text columns to the widest cell', () => {
    expect(toText([table]).split('\n')).toContain('a    bb');
  });
});
