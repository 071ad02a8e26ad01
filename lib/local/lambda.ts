/**
 * Invokes a function's handler in this process the way the Lambda runtime does: with a `Context`, under the
 * function's timeout, one event at a time per call (calls may overlap, as concurrent Lambda instances do).
 *
 * Unlike Lambda: every function shares one process, one module cache and one environment; a handler that
 * runs past its timeout is reported as timed out but cannot be frozen, so it keeps running in the
 * background; callback-style handlers are not supported (the gateway's are all async). The logger is one
 * module-level instance, as in Lambda, so the context keys (`function_name`, `request_id`) of a log line
 * written while invocations overlap may be another invocation's: trust them in the cloud, not here.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { FunctionName, FunctionSpec } from '../topology.ts';
import { LOCAL_ACCOUNT_ID } from './account.ts';

/**
 * A Lambda handler of any event type. The parameter is `never` so that any typed handler fits; what a
 * handler returns is checked at run time by whoever invokes it, as the Lambda service does.
 */
export type LambdaHandler = (event: never, context: Context) => unknown;

export interface LocalFunction {
  readonly spec: Pick<FunctionSpec, 'timeoutSeconds' | 'memoryMb'>;
  readonly handler: LambdaHandler;
}

/** A function served only locally, besides the topology's: a harness's own handler, e.g. the bench's floor. */
export type ExtraFunctionName = `extra:${string}`;
export type LocalFunctionName = FunctionName | ExtraFunctionName;

/** What the HTTP server, the event sources and the scheduler need: a way to invoke a function. */
export interface Invoker {
  invoke(name: LocalFunctionName, event: unknown): Promise<unknown>;
}

export interface FunctionStats {
  readonly invocations: number;
  readonly errors: number;
  /** Durations of the most recent invocations (at most `DURATION_SAMPLES`), oldest first. */
  readonly durationsMs: readonly number[];
  /**
   * Every invocation's duration rounded up to the millisecond (at least 1), as Lambda bills, summed since
   * start: unlike `durationsMs`, never capped, so a window of any length is `after - before`.
   */
  readonly billedMs: number;
}

export class InvocationTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds (${name})`);
    this.name = 'InvocationTimeoutError';
  }
}

const DURATION_SAMPLES = 10_000;

class Recorder {
  invocations = 0;
  errors = 0;
  billedMs = 0;
  private readonly samples: number[] = [];
  private next = 0;

  record(durationMs: number, failed: boolean): void {
    this.invocations += 1;
    if (failed) this.errors += 1;
    this.billedMs += Math.max(1, Math.ceil(durationMs));
    if (this.samples.length < DURATION_SAMPLES) this.samples.push(durationMs);
    else this.samples[this.next] = durationMs;
    this.next = (this.next + 1) % DURATION_SAMPLES;
  }

  durations(): number[] {
    if (this.samples.length < DURATION_SAMPLES) return [...this.samples];
    return [...this.samples.slice(this.next), ...this.samples.slice(0, this.next)];
  }
}

export class LocalLambdas implements Invoker {
  private readonly recorders = new Map<LocalFunctionName, Recorder>();

  constructor(
    private readonly functions: Partial<Record<LocalFunctionName, LocalFunction>>,
    private readonly region: string,
  ) {}

  async invoke(name: LocalFunctionName, event: unknown): Promise<unknown> {
    const fn = this.functions[name];
    if (fn === undefined) throw new Error(`No handler for function ${name}`);
    const timeoutMs = fn.spec.timeoutSeconds * 1000;
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    const context = lambdaContext(name, fn.spec.memoryMb, this.region, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InvocationTimeoutError(name, fn.spec.timeoutSeconds)), timeoutMs);
    });
    let failed = true;
    try {
      const result = await Promise.race([Promise.resolve().then(() => fn.handler(event as never, context)), timedOut]);
      failed = false;
      return result;
    } finally {
      clearTimeout(timer);
      this.recorderOf(name).record(performance.now() - started, failed);
    }
  }

  stats(): Partial<Record<LocalFunctionName, FunctionStats>> {
    const stats: Partial<Record<LocalFunctionName, FunctionStats>> = {};
    for (const [name, recorder] of this.recorders) {
      stats[name] = { invocations: recorder.invocations, errors: recorder.errors, durationsMs: recorder.durations(), billedMs: recorder.billedMs };
    }
    return stats;
  }

  private recorderOf(name: LocalFunctionName): Recorder {
    let recorder = this.recorders.get(name);
    if (recorder === undefined) {
      recorder = new Recorder();
      this.recorders.set(name, recorder);
    }
    return recorder;
  }
}

function lambdaContext(name: string, memoryMb: number, region: string, deadline: number): Context {
  const legacy = (method: string) => (): never => {
    throw new Error(`context.${method} is not supported by the local runtime: return a promise instead.`);
  };
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `${day}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: legacy('done'),
    fail: legacy('fail'),
    succeed: legacy('succeed'),
  };
}
