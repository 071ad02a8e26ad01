/**
 * Runs one load test against the runtime from a child process (bench/load-generator.ts), so that the
 * runtime under test has this process's event loop to itself while the generator has its own.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from './stats.ts';

export interface LoadSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Paths to request in turn, e.g. several `/payments/{id}`. */
  readonly paths: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Send a fresh `Idempotency-Key` with every request. */
  readonly uniqueIdempotencyKeys: boolean;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface LoadResult {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Successful (2xx) responses per second. */
  readonly requestsPerSecond: number;
  /** Latencies of every response, successful or not, in milliseconds. */
  readonly latencyMs: LatencySummary;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

export const RESULT_PREFIX = 'BENCH_LOAD_RESULT ';

const generator = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

export function runLoadInChildProcess(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', generator, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`the load generator exited with ${code}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as LoadResult);
    });
  });
}
