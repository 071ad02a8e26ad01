/**
 * `npm start`'s entry point (bin/local.ts) as a real child process, for tests and soaks that kill it
 * (SIGKILL, or a GATEWAY_FAULT crash point) and start it again on the same data folder and port. It is
 * started with an IPC channel, through which `runSchedule` asks it to run a schedule now.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { schedules } from '../../lib/topology.ts';

export const TEST_ADMIN_KEY = 'admin_test_key_0123456789abcdef';
const repositoryRoot = join(import.meta.dirname, '..', '..');

/** What the process printed last, kept for a failure's report (its output is consumed so it never blocks). */
const OUTPUT_TAIL_CHARS = 64_000;

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** The signal that ended the process, or its exit code. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  /** The last lines of its stdout and stderr. */
  output(): string;
  /**
   * Runs a schedule in the process now, as its timer would (the outbox sweep's is a minute), and resolves
   * with what the function returned; rejects with what it threw, or when the process dies first.
   */
  runSchedule(name: keyof typeof schedules): Promise<unknown>;
}

export interface GatewayProcessOptions {
  readonly dataDir: string;
  readonly port: number;
  /** A crash point of functions/fault-injection.ts at which the process kills itself. */
  readonly fault?: string;
  /** LOCAL_VISIBILITY_TIMEOUT_SECONDS: redelivery after a crash waits for it (2 s unless given). */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * LOCAL_BATCHING_WINDOW_SECONDS: 0 unless given, so that a test waits for each message rather than for a
   * batch to fill (the settlement queue's window is 5 s); undefined in `env` keeps the topology's windows.
   */
  readonly batchingWindowSeconds?: number;
  /** More environment; an undefined value removes a variable inherited from this process. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every gateway process started here that is still running (for `afterEach`). */
export function killGatewayProcesses(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  live.clear();
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts bin/local.ts and resolves once it prints the URL it listens on. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    // Redelivery after a crash waits for the visibility timeout; shorten it so the test takes seconds.
    LOCAL_VISIBILITY_TIMEOUT_SECONDS: String(options.visibilityTimeoutSeconds ?? 2),
    LOCAL_BATCHING_WINDOW_SECONDS: String(options.batchingWindowSeconds ?? 0),
    ...(options.fault === undefined ? {} : { GATEWAY_FAULT: options.fault }),
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(signal ?? code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const listening = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] === undefined) return;
      child.stdout?.off('data', listening);
      resolve(match[1]);
    };
    child.stdout?.on('data', listening);
    void exited.then((how) => reject(new Error(`gateway exited (${String(how)}) before it was ready:\n${tail}`)));
  });
  return { child, url, exited, output: () => tail, runSchedule: (name) => requestSchedule(child, exited, name) };
}

let lastRequestId = 0;

/** One `{ id, runSchedule }` request over the child's IPC channel (bin/local.ts answers it), and its answer. */
function requestSchedule(child: ChildProcess, exited: Promise<unknown>, name: keyof typeof schedules): Promise<unknown> {
  const id = (lastRequestId += 1);
  return new Promise((resolve, reject) => {
    const answer = (message: unknown): void => {
      if (typeof message !== 'object' || message === null || (message as { id?: unknown }).id !== id) return;
      child.off('message', answer);
      const { result, error } = message as { result?: unknown; error?: unknown };
      if (error === undefined) resolve(result);
      else reject(new Error(`the gateway could not run ${name}: ${String(error)}`));
    };
    child.on('message', answer);
    void exited.then((how) => {
      child.off('message', answer);
      reject(new Error(`the gateway exited (${String(how)}) before it ran ${name}`));
    });
    child.send({ id, runSchedule: name });
  });
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (undefined when the body is empty). */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
}

/** One authenticated JSON request; rejects when no answer comes (the process died, or is not listening). */
export async function call(
  url: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<CallResult> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}
