import { vi } from 'vitest';

/** Everything written to stdout or stderr (where the logger writes) while `act` runs, which is not echoed. */
export async function captureLogs(act: () => unknown): Promise<string> {
  const written: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(record), vi.spyOn(process.stderr, 'write').mockImplementation(record)];
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written.join('');
}
