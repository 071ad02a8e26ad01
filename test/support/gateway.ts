/**
 * Starts the whole gateway in this process, as `npm start` does, on a fresh data folder, and gives tests a
 * small HTTP client for it. Each vitest file runs in its own process, so each gets its own runtime.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions, type RuntimeStats } from '../../lib/local/runtime.ts';
import { queueNames, type QueueName, type QueueSpec } from '../../lib/topology.ts';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (undefined when the body is empty). */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
}

export interface RequestOptions {
  readonly key?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestGateway {
  readonly url: string;
  readonly adminKey: string;
  readonly dataDir: string;
  /** The stand-ins' endpoints, for tests that look behind the API. */
  readonly endpoints: LocalRuntime['endpoints'];
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResult>;
  createMerchant(defaultCurrency?: string): Promise<{ merchantId: string; apiKey: string }>;
  /** The runtime's counters and queue depths (dead-letter queues included). */
  stats(): RuntimeStats;
  close(): Promise<void>;
}

/**
 * The runtime's queue settings for a test: the topology's, without batching windows (a test waits for each
 * message, not for a batch to fill; the windows' own behaviour is test/local/event-source.test.ts's), and
 * with what the test asks for on top.
 */
function testQueues(given: LocalRuntimeOptions['queues'] = {}): Record<QueueName, Partial<QueueSpec>> {
  return Object.fromEntries(queueNames.map((name) => [name, { maxBatchingWindowSeconds: 0, ...given[name] }])) as Record<
    QueueName,
    Partial<QueueSpec>
  >;
}

export async function startTestGateway(
  options: { dataDir?: string; runtime?: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> } = {},
): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
  const runtime = await startLocalRuntime({ ...options.runtime, queues: testQueues(options.runtime?.queues), dataDir, port: 0 });
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${runtime.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    url: runtime.url,
    adminKey: runtime.adminApiKey,
    dataDir,
    endpoints: runtime.endpoints,
    request,
    async createMerchant(defaultCurrency = 'USD') {
      const created = await request('POST', '/merchants', {
        key: runtime.adminApiKey,
        body: { name: 'Test merchant', email: 'owner@example.com', default_currency: defaultCurrency },
      });
      if (created.status !== 201) throw new Error(`merchant creation failed: ${created.status} ${created.text}`);
      return { merchantId: created.body.merchant_id, apiKey: created.body.api_key.secret };
    },
    stats: () => runtime.stats(),
    close: () => runtime.close(),
  };
}

/** Polls until `read` returns a value that satisfies `done`, or fails after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
