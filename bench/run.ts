/**
 * `npm run bench`: throughput, latency, the payment lifecycle's cost in requests, bundle sizes, cold
 * starts and the AWS cost per million payments, measured on the local runtime. Prints the tables and the
 * targets (PASS/MISS), and writes bench/results.json and bench/RESULTS.md.
 *
 * The runtime under test runs in this process; the HTTP load comes from a child process, and each cold
 * start from a fresh one. Knobs: see bench/config.ts (BENCH_DURATION_SECONDS, BENCH_PAYMENTS, ...).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueUrlCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from '../lib/local/account.ts';
import { localCredentials } from '../lib/local/dynamo.ts';
import { startLocalRuntime, type LocalRuntime, type RuntimeStats } from '../lib/local/runtime.ts';
import { queueNames } from '../lib/topology.ts';
import { measureBundles, type BundleReport } from './bundles.ts';
import { readConfig, type BenchConfig } from './config.ts';
import { costPerMillionPayments, type CostEstimate } from './cost.ts';
import { FLOOR_PATH, floorRoute } from './floor.ts';
import { runLoadInChildProcess, type LoadResult, type LoadSpec } from './http-load.ts';
import { CARD_PAYMENT, runLifecycle, waitForDrain, type LifecycleReport } from './lifecycle.ts';
import { installLogMeter } from './log-meter.ts';
import { formatNumber, formatUsd, resultsJson, toMarkdown, toText, type Table } from './report.ts';
import { counterDelta, median, ratio, sum } from './stats.ts';
import { evaluateTargets, kilobytes, type LifecyclePoint, type TargetResult } from './targets.ts';

const benchDir = fileURLToPath(new URL('./', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));
const scratchDir = join(benchDir, 'tmp');

interface Scenario {
  readonly key: 'floor' | 'createPayment' | 'getPayment' | 'listTransactions' | 'createPaymentWithWorkers';
  readonly title: string;
  readonly method: LoadSpec['method'];
  readonly paths: readonly string[];
  readonly body?: string;
  readonly authenticated: boolean;
  readonly uniqueIdempotencyKeys: boolean;
}

interface RunReport extends LoadResult {
  /** Median time in each function invoked during the run, from the runtime's own records. */
  readonly functionMedianMs: Record<string, number>;
  /** Requests to the stand-ins per HTTP request served (the workers' too, when they run). */
  readonly backendCallsPerRequest: { readonly dynamodb: number; readonly sqs: number; readonly kms: number };
  readonly throughputVsFloor?: number;
  readonly p99VsFloor?: number;
}

interface ScenarioReport {
  readonly key: Scenario['key'];
  readonly title: string;
  readonly runs: readonly RunReport[];
}

interface Merchant {
  readonly merchantId: string;
  readonly apiKey: string;
  readonly keyId: string;
}

const logMeter = installLogMeter();
const progress = (message: string): void => logMeter.print(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const startedAt = new Date();
  mkdirSync(scratchDir, { recursive: true });
  const dataDir = mkdtempSync(join(scratchDir, 'data-'));
  progress(`starting the local runtime in ${dataDir}`);
  const runtime = await startLocalRuntime({
    dataDir,
    adminApiKey: `adm_${randomBytes(24).toString('base64url')}`,
    demoMerchant: false,
    extraRoutes: [floorRoute],
    // The bench measures the gateway, not the throttle in front of it.
    rateLimit: { ratePerSecond: 1e9, burst: 1e9 },
  });
  let http: ScenarioReport[] = [];
  let lifecycle: LifecycleReport | undefined;
  let bundles: BundleReport[] = [];
  try {
    const merchant = await createMerchant(runtime);
    if (!config.skip.includes('http')) http = await runHttpPhase(runtime, merchant, config);
    if (!config.skip.includes('lifecycle')) {
      progress(`lifecycle: ${config.payments} payments, ${config.lifecycleConcurrency} at a time`);
      lifecycle = await runLifecycle({
        runtime,
        apiKey: merchant.apiKey,
        payments: config.payments,
        concurrency: config.lifecycleConcurrency,
        drainTimeoutSeconds: config.drainTimeoutSeconds,
        kmsAssumptions: config.kmsAssumptions,
        logBytes: () => logMeter.bytes(),
        progress,
      });
    }
    if (!config.skip.includes('bundles')) {
      progress(`bundles: esbuild as the CDK does, then ${config.coldRuns} cold starts per function`);
      const transactionId = lifecycle?.transactionIds[0] ?? (await createOnePayment(runtime, merchant));
      bundles = await measureBundles({
        repositoryRoot,
        outputDir: join(scratchDir, 'bundles'),
        coldRuns: config.coldRuns,
        fixtures: { ...merchant, transactionId, region: LOCAL_REGION },
        progress,
      });
    }
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
    logMeter.restore();
  }

  const cost = lifecycle === undefined ? undefined : costPerMillionPayments(lifecycle.usage);
  const targets = evaluateTargets({
    lifecycle: lifecycle === undefined || cost === undefined ? undefined : lifecyclePoint(lifecycle, cost),
    kmsRequestsPerPayment: lifecycle?.kmsEstimate.requestsPerPayment,
    kmsMeasuredPerPayment: lifecycle === undefined ? undefined : sum(Object.values(lifecycle.perPayment.kmsRequests)),
    createAt10: pointAt(http, 'createPayment', 10),
    floorAt10: pointAt(http, 'floor', 10),
    bundles: bundles.map((bundle) => ({ name: bundle.name, bytes: bundle.bytes, coldInitMedianMs: bundle.coldInitMedianMs })),
  });
  const tables = [
    ...(http.length > 0 ? [httpTable(http, config)] : []),
    ...(lifecycle === undefined ? [] : [lifecycleTable(lifecycle), partitionTable(lifecycle)]),
    ...(bundles.length > 0 ? [bundleTable(bundles, config)] : []),
    ...(cost === undefined ? [] : [costTable(cost)]),
    targetTable(targets),
  ];
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 1024 ** 3), node: process.version };
  const preamble = [
    `Measured by \`npm run bench\` on ${startedAt.toISOString().slice(0, 10)}: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}; ` +
      `${config.durationSeconds} s per load run, ${config.payments} payments through the lifecycle.`,
  ];
  process.stdout.write(`\n${toText(tables)}`);
  writeFileSync(join(benchDir, 'RESULTS.md'), toMarkdown(tables, preamble));
  writeFileSync(
    join(benchDir, 'results.json'),
    resultsJson({ generatedAt: startedAt.toISOString(), machine, config, http, lifecycle: withoutIds(lifecycle), bundles, cost }, targets),
  );
  process.stdout.write(`Wrote bench/results.json and bench/RESULTS.md\n`);
}

// --- HTTP -----------------------------------------------------------------------------------------------------

async function runHttpPhase(runtime: LocalRuntime, merchant: Merchant, config: BenchConfig): Promise<ScenarioReport[]> {
  // Enough payments for a full first page of GET /transactions and for GET /payments/{id} to rotate over.
  const seeded: string[] = [];
  for (let index = 0; index < 25; index += 1) seeded.push(await createOnePayment(runtime, merchant));
  await waitForDrain(runtime, config.drainTimeoutSeconds, () => true);

  const createPayment = {
    method: 'POST',
    paths: ['/payments'],
    body: JSON.stringify(CARD_PAYMENT),
    authenticated: true,
    uniqueIdempotencyKeys: true,
  } as const;
  const apiAlone: Scenario[] = [
    { key: 'floor', title: `floor: one PutItem (POST ${FLOOR_PATH})`, method: 'POST', paths: [FLOOR_PATH], body: '{}', authenticated: false, uniqueIdempotencyKeys: false },
    { key: 'getPayment', title: 'GET /payments/{id}', method: 'GET', paths: seeded.map((id) => `/payments/${id}`), authenticated: true, uniqueIdempotencyKeys: false },
    { key: 'listTransactions', title: 'GET /transactions', method: 'GET', paths: ['/transactions'], authenticated: true, uniqueIdempotencyKeys: false },
    { key: 'createPayment', title: 'POST /payments', ...createPayment },
  ];
  const withWorkers: Scenario = { key: 'createPaymentWithWorkers', title: 'POST /payments, workers running', ...createPayment };

  const reports: ScenarioReport[] = [];
  // The API alone, as in the cloud, where the workers run in their own Lambdas: here they would share the
  // one CPU with the API. What the paused queues collect is purged afterwards.
  await runtime.pauseQueueConsumers();
  try {
    for (const scenario of apiAlone) reports.push(await runScenario(runtime, merchant, config, scenario, config.connections));
    await purgeQueues(runtime);
  } finally {
    await runtime.resumeQueueConsumers();
  }
  // And once with the workers taking each payment through its lifecycle meanwhile, on the same CPU.
  if (config.connections.includes(10)) {
    await waitForDrain(runtime, config.drainTimeoutSeconds, () => true);
    reports.push(await runScenario(runtime, merchant, config, withWorkers, [10]));
  }
  if (!(await waitForDrain(runtime, config.drainTimeoutSeconds, () => true))) {
    progress(`  the queues did not drain in ${config.drainTimeoutSeconds} s after the HTTP runs`);
  }
  return withFloorRatios(reports);
}

async function runScenario(
  runtime: LocalRuntime,
  merchant: Merchant,
  config: BenchConfig,
  scenario: Scenario,
  connectionLevels: readonly number[],
): Promise<ScenarioReport> {
  const spec = (connections: number, durationSeconds: number): LoadSpec => ({
    url: runtime.url,
    method: scenario.method,
    paths: scenario.paths,
    headers: {
      'Content-Type': 'application/json',
      ...(scenario.authenticated ? { Authorization: `Bearer ${merchant.apiKey}` } : {}),
    },
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    uniqueIdempotencyKeys: scenario.uniqueIdempotencyKeys,
    connections,
    durationSeconds,
  });
  if (config.warmupSeconds > 0) await runLoadInChildProcess(spec(10, config.warmupSeconds));
  const runs: RunReport[] = [];
  for (const connections of connectionLevels) {
    const before = runtime.stats();
    const result = await runLoadInChildProcess(spec(connections, config.durationSeconds));
    const after = runtime.stats();
    const functionMedianMs = medianDurations(before.functions, after.functions);
    const served = Math.max(1, after.httpRequests - before.httpRequests);
    const backendCallsPerRequest = {
      dynamodb: sum(Object.values(counterDelta(before.requestsByOperation.dynamodb, after.requestsByOperation.dynamodb))) / served,
      sqs: sum(Object.values(counterDelta(before.requestsByOperation.sqs, after.requestsByOperation.sqs))) / served,
      kms: sum(Object.values(counterDelta(before.requestsByOperation.kms, after.requestsByOperation.kms))) / served,
    };
    progress(`http: ${scenario.title} @${connections}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.latencyMs.p99.toFixed(1)} ms`);
    runs.push({ ...result, functionMedianMs, backendCallsPerRequest });
  }
  return { key: scenario.key, title: scenario.title, runs };
}

function medianDurations(before: RuntimeStats['functions'], after: RuntimeStats['functions']): Record<string, number> {
  const medians: Record<string, number> = {};
  for (const [name, stats] of Object.entries(after)) {
    const invocations = (stats?.invocations ?? 0) - (before[name as keyof typeof before]?.invocations ?? 0);
    if (stats !== undefined && invocations > 0) medians[name] = median(stats.durationsMs.slice(-invocations));
  }
  return medians;
}

/** Drops what the paused consumers left in the queues: those payments stay pending, which the bench does not mind. */
async function purgeQueues(runtime: LocalRuntime): Promise<void> {
  const client = new SQSClient({ endpoint: runtime.endpoints.sqs, region: LOCAL_REGION, credentials: localCredentials });
  try {
    for (const name of queueNames) {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      await client.send(new PurgeQueueCommand({ QueueUrl }));
    }
  } finally {
    client.destroy();
  }
}

function withFloorRatios(reports: readonly ScenarioReport[]): ScenarioReport[] {
  const floor = reports.find((report) => report.key === 'floor');
  return reports.map((report) => ({
    ...report,
    runs: report.runs.map((run) => {
      const floorRun = floor?.runs.find((candidate) => candidate.connections === run.connections);
      if (floorRun === undefined) return run;
      const throughputVsFloor = ratio(run.requestsPerSecond, floorRun.requestsPerSecond);
      const p99VsFloor = ratio(run.latencyMs.p99, floorRun.latencyMs.p99);
      return {
        ...run,
        ...(throughputVsFloor === undefined ? {} : { throughputVsFloor }),
        ...(p99VsFloor === undefined ? {} : { p99VsFloor }),
      };
    }),
  }));
}

function lifecyclePoint(lifecycle: LifecycleReport, cost: CostEstimate): LifecyclePoint {
  const per = lifecycle.perPayment;
  const hottest = lifecycle.writeUnitsByPartitionKey.hottest;
  return {
    drained: lifecycle.drained,
    dynamodbRequestsPerPayment: sum(Object.values(per.dynamodbRequests)),
    tableWriteUnitsPerPayment: per.dynamodbWriteUnits,
    indexWriteUnitsPerPayment: per.dynamodbIndexWriteUnits,
    hottestPartition: hottest === undefined ? undefined : { where: hottest.where, key: hottest.key, unitsPerPayment: hottest.units },
    sqsRequestsPerPayment: sum(Object.values(per.sqsRequests)),
    usdPerMillionPayments: cost.totalUsdPerMillionPayments,
  };
}

function pointAt(reports: readonly ScenarioReport[], key: Scenario['key'], connections: number) {
  const run = reports.find((report) => report.key === key)?.runs.find((candidate) => candidate.connections === connections);
  return run === undefined ? undefined : { requestsPerSecond: run.requestsPerSecond, p99Ms: run.latencyMs.p99 };
}

// --- fixtures -------------------------------------------------------------------------------------------------

async function createMerchant(runtime: LocalRuntime): Promise<Merchant> {
  const response = await fetch(`${runtime.url}/merchants`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${runtime.adminApiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Bench merchant', email: 'bench@example.com', default_currency: 'USD' }),
  });
  const body = (await response.json()) as { merchant_id?: string; api_key?: { id?: string; secret?: string } };
  if (response.status !== 201 || body.merchant_id === undefined || body.api_key?.secret === undefined || body.api_key.id === undefined) {
    throw new Error(`POST /merchants answered ${response.status}`);
  }
  return { merchantId: body.merchant_id, apiKey: body.api_key.secret, keyId: body.api_key.id };
}

async function createOnePayment(runtime: LocalRuntime, merchant: Merchant): Promise<string> {
  const response = await fetch(`${runtime.url}/payments`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${merchant.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(CARD_PAYMENT),
  });
  const body = (await response.json()) as { transaction_id?: string };
  if (response.status !== 201 || body.transaction_id === undefined) throw new Error(`POST /payments answered ${response.status}`);
  return body.transaction_id;
}

// --- tables ---------------------------------------------------------------------------------------------------

function httpTable(reports: readonly ScenarioReport[], config: BenchConfig): Table {
  const rows = reports.flatMap((report) =>
    report.runs.map((run) => {
      const failures = Object.entries(run.statuses).filter(([status]) => !status.startsWith('2'));
      return [
        report.title,
        String(run.connections),
        formatNumber(run.requestsPerSecond),
        formatNumber(run.latencyMs.p50, 1),
        formatNumber(run.latencyMs.p95, 1),
        formatNumber(run.latencyMs.p99, 1),
        report.key === 'floor' ? '1' : formatNumber(run.throughputVsFloor, 2),
        report.key === 'floor' ? '1' : formatNumber(run.p99VsFloor, 2),
        failures.length === 0 && run.errors === 0 ? '0' : [...failures.map(([status, count]) => `${count}×${status}`), ...(run.errors > 0 ? [`${run.errors} errors`] : [])].join(' '),
        `DynamoDB ${run.backendCallsPerRequest.dynamodb.toFixed(1)}, SQS ${run.backendCallsPerRequest.sqs.toFixed(1)}, KMS ${run.backendCallsPerRequest.kms.toFixed(2)}`,
        Object.entries(run.functionMedianMs)
          .map(([name, ms]) => `${name.replace(/^extra:/, '')} ${ms.toFixed(1)}`)
          .join(', '),
      ];
    }),
  );
  return {
    title: 'HTTP: throughput and latency',
    headers: ['route', 'conn', 'req/s (2xx)', 'p50 ms', 'p95 ms', 'p99 ms', 'req/s ÷ floor', 'p99 ÷ floor', 'non-2xx', 'backend calls / request', 'median ms in each function'],
    rows,
    notes: [
      `autocannon in a child process, ${config.durationSeconds} s per run after a ${config.warmupSeconds} s warm-up per route; the runtime (HTTP server, functions, dynalite, KMS and SQS stand-ins) shares one event loop.`,
      'Merchant routes include the REQUEST authorizer on every call (no authorizer cache locally); the floor has no auth.',
      'POST /payments sends a unique Idempotency-Key per request. All rows but the last run with the queue consumers paused: the API alone, as in the cloud, where the workers do not share its CPU. "workers running" is the same load while the workers authorize, capture, settle and notify on the same CPU.',
    ],
  };
}

function lifecycleTable(report: LifecycleReport): Table {
  const per = report.perPayment;
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ') || '0';
  const total = (counts: Record<string, number>): string => Object.values(counts).reduce((sum, value) => sum + value, 0).toFixed(2);
  const sameRequests = JSON.stringify(per.dynamodbRequestsSeenByMeter) === JSON.stringify(per.dynamodbRequests);
  return {
    title: `Payment lifecycle: ${report.created} payments, create → authorized → captured → settled, every event to a webhook endpoint`,
    headers: ['measure', 'value', 'detail'],
    rows: [
      [
        'time to drain',
        `${report.drainSeconds.toFixed(1)} s`,
        report.drained ? 'every queue empty and every expected webhook received' : 'did NOT drain before the timeout',
      ],
      ['final statuses', '', list(report.finalStatuses)],
      [
        'webhooks by event type',
        report.webhook.step === 'measured' ? `${report.webhook.complete}/${report.created} payments complete` : report.webhook.step,
        report.webhook.detail,
      ],
      ['API requests / payment', per.httpRequests.toFixed(2), ''],
      ['Lambda invocations / payment', total(per.lambdaInvocations), list(per.lambdaInvocations)],
      [
        'DynamoDB requests / payment',
        total(per.dynamodbRequests),
        list(per.dynamodbRequests) +
          (sameRequests
            ? ''
            : `; per operation the larger of the meter's count (${list(per.dynamodbRequestsSeenByMeter)}) and the stand-in's (${list(per.dynamodbRequestsSeenByStandIn)})`),
      ],
      ['DynamoDB read units / payment', per.dynamodbReadUnits.toFixed(2), 'RCU as dynalite reports them'],
      [
        'DynamoDB write units / payment',
        (per.dynamodbWriteUnits + per.dynamodbIndexWriteUnits).toFixed(2),
        `table ${per.dynamodbWriteUnits.toFixed(2)} + index writes ${per.dynamodbIndexWriteUnits.toFixed(2)} (estimated); by item: ` +
          list(Object.fromEntries(Object.entries(report.capacity.writeUnitsByItemKind).map(([kind, units]) => [kind, units / report.created]))),
      ],
      ['KMS requests / payment, measured', total(per.kmsRequests), `${list(per.kmsRequests)} (caches warmed first; data keys outlive the run)`],
      [
        'KMS requests / 1,000 payments, steady-state estimate',
        report.kmsEstimate.requestsPerThousandPayments.toFixed(1),
        `${list(report.kmsEstimate.byFunction)}; ${report.kmsEstimate.assumptions}`,
      ],
      ['SQS requests / payment', total(per.sqsRequests), list(per.sqsRequests)],
      ['bytes logged / payment', per.logBytes.toFixed(0), 'what the functions wrote to stdout/stderr'],
    ],
    notes: [
      `Webhooks: one endpoint subscribed to every event type (\`*\`); the run drains when each payment has received ${report.webhook.expected.join(', ')}.`,
      `DynamoDB units: ${report.capacity.source}; ${report.capacity.failedConditionalWrites} failed conditional writes counted as 1 WCU each.`,
      'SQS requests include the pollers\' long polls (Lambda\'s event source mappings poll the same way in the cloud).',
    ],
  };
}

function partitionTable(report: LifecycleReport): Table {
  const partitions = report.writeUnitsByPartitionKey;
  const place = (where: string): string => (where === 'table' ? 'table' : `index ${where}`);
  return {
    title: 'Write units by partition key',
    headers: ['', 'where', 'partition key', 'WCU / payment'],
    rows: partitions.top.slice(0, 5).map((entry, rank) => [String(rank + 1), place(entry.where), entry.key, entry.units.toFixed(3)]),
    notes: [
      `The ${Math.min(5, partitions.top.length)} partition keys, of the table and its indexes together, that the ${report.created} measured payments wrote most, ` +
        `out of ${partitions.keysWritten} written. DynamoDB gives one partition 1,000 WCU/s: a key that takes x WCU per payment caps the gateway at 1,000 / x payments a second.`,
      `Hottest in each place: ${Object.values(partitions.hottestByPlace)
        .map((entry) => `${place(entry.where)} ${entry.key} ${entry.units.toFixed(3)}`)
        .join('; ')}.`,
      'Table units as dynalite reports them; index writes estimated from the index keys each write sets (bench/dynamo-meter.ts).' +
        (report.capacity.unseenItemUpdates > 0
          ? ` ${report.capacity.unseenItemUpdates} updates hit items the meter had not seen written or read: their index writes may be missing.`
          : ''),
    ],
  };
}

function bundleTable(bundles: readonly BundleReport[], config: BenchConfig): Table {
  return {
    title: 'Bundles and cold init, per function',
    headers: ['function', 'bundle (min)', 'largest parts', `cold init median of ${config.coldRuns}`, 'of which import', 'first invocation'],
    rows: bundles.map((bundle) => [
      bundle.name,
      kilobytes(bundle.bytes),
      bundle.largestInputs.map((input) => `${input.source} ${kilobytes(input.bytes)}`).join(', '),
      `${formatNumber(bundle.coldInitMedianMs)} ms`,
      `${formatNumber(bundle.importMedianMs)} ms`,
      bundle.firstInvocation,
    ]),
    notes: [
      'esbuild with the options of lib/constructs/gateway-function.ts (ESM, minified, node target of the pinned runtime, @aws-sdk/* external).',
      'Cold init: a fresh node process with --enable-source-maps imports the bundle and runs one invocation against the local stand-ins; node start-up itself is not counted. Lambda at 512 MB gets a fraction of a vCPU, so expect more there.',
    ],
  };
}

function costTable(cost: CostEstimate): Table {
  return {
    title: 'AWS cost per million payments (us-east-1 list prices, on-demand)',
    headers: ['item', 'per payment', 'unit', 'USD per million payments'],
    rows: [
      ...cost.lines.map((line) => [line.item, line.quantityPerPayment.toPrecision(3), line.unit, formatUsd(line.usdPerMillionPayments)]),
      ['total', '', '', formatUsd(cost.totalUsdPerMillionPayments)],
    ],
    notes: [
      'Unit prices are named constants in bench/cost.ts, each citing its aws.amazon.com pricing page; free tiers, volume tiers and fixed monthly costs are left out.',
      'KMS is the steady-state estimate of the lifecycle table (bench/kms-model.ts; BENCH_CONTAINERS, BENCH_RATE), not the run\'s count, which warm caches keep at 0.',
      'Lambda duration is what each invocation took locally, rounded up to the ms; the authorizer is counted on every request (the cloud caches it for 60 s per key, so this overstates it).',
    ],
  };
}

function targetTable(targets: readonly TargetResult[]): Table {
  return {
    title: 'Targets',
    headers: ['target', 'goal', 'measured', 'result'],
    rows: targets.map((target) => [target.name, target.target, target.measured, target.status]),
    notes: ['Each MISS is explained in README.md, section Benchmark: by how much, why, and what would meet it.'],
  };
}

function withoutIds(lifecycle: LifecycleReport | undefined): Omit<LifecycleReport, 'transactionIds'> | undefined {
  if (lifecycle === undefined) return undefined;
  const { transactionIds: _ids, ...rest } = lifecycle;
  return rest;
}

main().catch((error: unknown) => {
  logMeter.restore();
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
