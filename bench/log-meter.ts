/**
 * Counts what the functions log. In the local runtime they share this process, and their logger writes to
 * process.stdout and process.stderr, which is what Lambda ships to CloudWatch Logs; so the bench swaps
 * both streams' `write` for a counter (the output is dropped, to keep the terminal readable, or kept in
 * `BENCH_LOG_FILE` when it is set, to find out what a run did) and prints its own lines through the
 * original writers.
 */
import { appendFileSync } from 'node:fs';

export interface LogMeter {
  /** Bytes written to stdout and stderr since the meter was installed. */
  bytes(): number;
  /** Writes to the real stderr, past the meter. */
  print(text: string): void;
  /** Writes to the real stdout, past the meter. */
  printOut(text: string): void;
  restore(): void;
}

type Write = typeof process.stdout.write;

export function installLogMeter(keepIn: string | undefined = process.env.BENCH_LOG_FILE): LogMeter {
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  let bytes = 0;
  const counting = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8') : chunk.byteLength;
    if (keepIn !== undefined) appendFileSync(keepIn, chunk);
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as Write;
  process.stdout.write = counting;
  process.stderr.write = counting;
  return {
    bytes: () => bytes,
    print: (text) => void originalErr.call(process.stderr, text),
    printOut: (text) => void originalOut.call(process.stdout, text),
    restore: () => {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}
