/**
 * The load generator, run by bench/http-load.ts in a process of its own so the runtime under test does
 * not share its event loop with the client. Reads one LoadSpec (JSON) as its argument, runs autocannon,
 * and prints one line `BENCH_LOAD_RESULT <json>` with a LoadResult.
 *
 * Latencies come from autocannon's per-response event, so the percentiles (p95 included, which autocannon's
 * own summary lacks) are computed from every sample with bench/stats.ts.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { RESULT_PREFIX, type LoadResult, type LoadSpec } from './http-load.ts';
import { summarizeLatencies } from './stats.ts';

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let finished: (result: autocannon.Result) => void = () => undefined;
  let failed: (error: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: [
      {
        method: spec.method,
        path: spec.paths[0] ?? '/',
        headers: { ...spec.headers },
        ...(spec.body === undefined ? {} : { body: spec.body }),
        setupRequest: (request) => {
          const path = spec.paths[next % spec.paths.length] ?? '/';
          next += 1;
          const headers = spec.uniqueIdempotencyKeys ? { ...request.headers, 'Idempotency-Key': randomUUID() } : request.headers;
          return { ...request, path, headers };
        },
      },
    ],
  };
  const instance = autocannon(options, (error: unknown, result) => (error ? failed(error) : finished(result)));
  // autocannon 9 emits (client, statusCode, bytes, responseTime); @types/autocannon still describes v7's
  // (statusCode, bytes, responseTime), so the arguments are read by position here.
  instance.on('response', (...args: unknown[]) => {
    const [, statusCode, , responseTime] = args;
    if (typeof responseTime === 'number') latencies.push(responseTime);
    statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
  });
  const result = await done;
  const successes = Object.entries(statuses)
    .filter(([status]) => status.startsWith('2'))
    .reduce((total, [, count]) => total + count, 0);
  return {
    connections: spec.connections,
    durationSeconds: result.duration,
    requestsPerSecond: successes / result.duration,
    latencyMs: summarizeLatencies(latencies),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const argument = process.argv[2];
if (argument === undefined) {
  console.error('usage: load-generator.ts <LoadSpec as JSON>');
  process.exit(2);
}
const result = await runLoad(JSON.parse(argument) as LoadSpec);
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
