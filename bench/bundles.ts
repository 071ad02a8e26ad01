/**
 * Per function of the topology: the size of its Lambda bundle, built with esbuild exactly as
 * lib/constructs/gateway-function.ts has the CDK build it, and its cold init: the median time, over
 * several fresh node processes, to import that bundle and run a first invocation against the local
 * runtime's stand-ins.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { routesOf } from '../lib/routes.ts';
import { functionNames, functions, queues, schedules, type FunctionName, type RouteSpec } from '../lib/topology.ts';
import { median } from './stats.ts';

export interface BundleReport {
  readonly name: FunctionName;
  readonly bytes: number;
  /** The three largest contributors to the minified output, by package. */
  readonly largestInputs: readonly { readonly source: string; readonly bytes: number }[];
  readonly coldInitMs: readonly number[];
  readonly coldInitMedianMs: number | undefined;
  readonly importMedianMs: number | undefined;
  /** What the first invocation answered, e.g. `HTTP 201`, `ok`, or the error's name. */
  readonly firstInvocation: string;
}

/** What a first invocation needs to do real work: who calls, and a transaction that exists. */
export interface ColdStartFixtures {
  readonly merchantId: string;
  readonly keyId: string;
  readonly apiKey: string;
  readonly transactionId: string;
  readonly region: string;
}

const COLD_RESULT_PREFIX = 'BENCH_COLD_RESULT ';

/**
 * Runs in the fresh process (`node --input-type=module -e`): the clock starts before the bundle's import
 * and stops when the first invocation settles. Node's own start-up is not counted, as Lambda's INIT
 * duration does not count the runtime's.
 */
const COLD_INIT_SCRIPT = `
import { pathToFileURL } from 'node:url';
const [bundlePath, eventJson, functionName] = process.argv.slice(-3);
const event = JSON.parse(eventJson);
const context = {
  functionName, functionVersion: '$LATEST', memoryLimitInMB: '512', awsRequestId: crypto.randomUUID(),
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:' + functionName,
  logGroupName: '/aws/lambda/' + functionName, logStreamName: 'cold', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10000,
};
const started = performance.now();
const module = await import(pathToFileURL(bundlePath).href);
const imported = performance.now();
let outcome = 'ok';
try {
  const result = await module.handler(event, context);
  if (result && typeof result.statusCode === 'number') outcome = 'HTTP ' + result.statusCode;
} catch (error) {
  outcome = error && error.name ? error.name + ': ' + error.message : String(error);
}
const invoked = performance.now();
console.log(${JSON.stringify(COLD_RESULT_PREFIX)} + JSON.stringify({ importMs: imported - started, totalMs: invoked - started, outcome }));
process.exit(0);
`;

export async function measureBundles(options: {
  readonly repositoryRoot: string;
  readonly outputDir: string;
  readonly coldRuns: number;
  readonly fixtures: ColdStartFixtures;
  readonly progress: (message: string) => void;
}): Promise<BundleReport[]> {
  const target = await lambdaNodeTarget();
  const reports: BundleReport[] = [];
  for (const name of functionNames) {
    const outfile = join(options.outputDir, name, 'index.mjs');
    mkdirSync(join(options.outputDir, name), { recursive: true });
    const metafile = await bundle(join(options.repositoryRoot, functions[name].entry), outfile, target);
    copyStaticFiles(name, options.repositoryRoot, join(options.outputDir, name));
    const samples: { importMs: number; totalMs: number; outcome: string }[] = [];
    for (let run = 0; run < options.coldRuns; run += 1) {
      samples.push(await coldStart(outfile, name, firstEvent(name, options.fixtures)));
    }
    const measured = samples.filter((sample) => Number.isFinite(sample.totalMs));
    reports.push({
      name,
      bytes: statSync(outfile).size,
      largestInputs: largestInputs(metafile, outfile),
      coldInitMs: measured.map((sample) => sample.totalMs),
      coldInitMedianMs: measured.length === 0 ? undefined : median(measured.map((sample) => sample.totalMs)),
      importMedianMs: measured.length === 0 ? undefined : median(measured.map((sample) => sample.importMs)),
      firstInvocation: samples[0]?.outcome ?? 'not run',
    });
    options.progress(`  ${name}: ${(statSync(outfile).size / 1024).toFixed(1)} KB, cold init ${reports.at(-1)?.coldInitMedianMs?.toFixed(0) ?? '?'} ms`);
  }
  return reports;
}

/** Files a function ships beside its bundle (the hosted pages), copied as the CDK asset has them. */
function copyStaticFiles(name: FunctionName, repositoryRoot: string, bundleDir: string): void {
  const spec: { readonly staticFiles?: unknown } = functions[name];
  if (typeof spec.staticFiles !== 'string') return;
  cpSync(join(repositoryRoot, spec.staticFiles), join(bundleDir, spec.staticFiles), { recursive: true });
}

/** `node24` for the pinned `nodejs24.x` runtime, as the CDK's NodejsFunction derives its esbuild target. */
async function lambdaNodeTarget(): Promise<string> {
  const { functionRuntime } = await import('../lib/constructs/gateway-function.ts');
  const version = /^nodejs(\d+)/.exec(functionRuntime.name)?.[1];
  if (version === undefined) throw new Error(`Cannot tell the Node.js version of runtime ${functionRuntime.name}`);
  return `node${version}`;
}

/** The options lib/constructs/gateway-function.ts gives NodejsFunction `bundling`, as esbuild options. */
async function bundle(entry: string, outfile: string, target: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
    metafile: true,
  });
  return result.metafile;
}

function largestInputs(metafile: Metafile, outfile: string): { source: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => outfile.endsWith(path) || path.endsWith('index.mjs'))?.[1];
  const bySource = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const source = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'project code';
    bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
  }
  return [...bySource]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
}

function coldStart(bundlePath: string, name: FunctionName, event: unknown): Promise<{ importMs: number; totalMs: number; outcome: string }> {
  return new Promise((resolve) => {
    // The functions run with NODE_OPTIONS=--enable-source-maps in the cloud (gateway-function.ts).
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', COLD_INIT_SCRIPT, bundlePath, JSON.stringify(event), name],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('close', () => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(COLD_RESULT_PREFIX));
      if (line === undefined) {
        const errorLine = stderr.split('\n').find((text) => /^\w*Error\b/.test(text)) ?? stderr.trim().split('\n').at(-1) ?? '';
        resolve({ importMs: Number.NaN, totalMs: Number.NaN, outcome: `no result: ${errorLine.slice(0, 200)}` });
        return;
      }
      resolve(JSON.parse(line.slice(COLD_RESULT_PREFIX.length)) as { importMs: number; totalMs: number; outcome: string });
    });
  });
}

// --- first events ---------------------------------------------------------------------------------------

/** Bodies for the POST routes a first invocation may take; others get `{}`. */
const FIRST_BODIES: Record<string, unknown> = {
  'POST /payments': { amount: 1050, currency: 'USD', card_number: '4242 4242 4242 4242', expiration_date: '2030-12-31', cvc: '123' },
  'POST /merchants': { name: 'Cold start', email: 'cold@example.com', default_currency: 'USD' },
};

/** The request a function would most often serve first: its hottest route, or what its queue or schedule sends. */
export function firstEvent(name: FunctionName, fixtures: ColdStartFixtures): unknown {
  if (name === 'authorizer') return authorizerEvent(fixtures);
  const served = routesOf(name);
  if (served.length > 0) {
    const route = served.find((candidate) => candidate.method === 'POST' && candidate.path === '/payments') ??
      served.find((candidate) => candidate.method === 'GET') ?? served[0];
    if (route !== undefined) return proxyEvent(route, fixtures);
  }
  const consumed = Object.entries(queues).find(([, spec]) => spec.consumer === name);
  if (consumed !== undefined) return sqsEvent(consumed[0], fixtures);
  const scheduled = Object.values(schedules).some((schedule) => schedule.function === name);
  if (scheduled) return { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
  return {};
}

function proxyEvent(route: RouteSpec, fixtures: ColdStartFixtures): unknown {
  const path = route.path.replace(/\{transaction_id\}/g, fixtures.transactionId).replace(/\{(\w+)\}/g, 'none');
  const pathParameters = Object.fromEntries(
    [...route.path.matchAll(/\{(\w+)\}/g)].map(([, parameter]) => [parameter, parameter === 'transaction_id' ? fixtures.transactionId : 'none']),
  );
  const body = route.method === 'POST' || route.method === 'PUT' ? JSON.stringify(FIRST_BODIES[`${route.method} ${route.path}`] ?? {}) : null;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': `cold-${Date.now()}-${Math.random()}` };
  const authorizer =
    route.auth === 'admin'
      ? { principal: 'admin' }
      : route.auth === 'merchant'
        ? { principal: 'merchant', merchantId: fixtures.merchantId, keyId: fixtures.keyId }
        : undefined;
  return {
    resource: route.path,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: Object.keys(pathParameters).length === 0 ? null : pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer,
      httpMethod: route.method,
      identity: { sourceIp: '127.0.0.1', userAgent: 'bench' },
      path,
      stage: 'local',
      requestId: `cold-${Date.now()}`,
      requestTimeEpoch: Date.now(),
      resourcePath: route.path,
    },
    body,
    isBase64Encoded: false,
  };
}

function authorizerEvent(fixtures: ColdStartFixtures): unknown {
  const headers = { Authorization: `Bearer ${fixtures.apiKey}` };
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${fixtures.region}:000000000000:local/local/GET/transactions`,
    resource: '/transactions',
    path: '/transactions',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: { Authorization: [headers.Authorization] },
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { accountId: '000000000000', apiId: 'local', stage: 'local', httpMethod: 'GET', resourcePath: '/transactions' },
  };
}

function sqsEvent(queueName: string, fixtures: ColdStartFixtures): unknown {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: `cold-${now}`,
        receiptHandle: `cold-${now}`,
        body: JSON.stringify({ transaction_id: fixtures.transactionId }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'bench', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${fixtures.region}:000000000000:${queueName}`,
        awsRegion: fixtures.region,
      },
    ],
  };
}
