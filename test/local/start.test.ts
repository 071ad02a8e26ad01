import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDir, removeFreshDirs } from './helpers.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');

/** Runs `npm start`'s entry point (bin/local.ts under tsx) with the given environment, and an IPC channel if asked. */
function start(environment: Record<string, string>, options: { ipc?: boolean } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe', options.ipc === true ? 'ipc' : 'ignore'],
  });
  const { stdout, stderr: errors } = child;
  if (stdout === null || errors === null) throw new Error('spawned without pipes');
  const lines: string[] = [];
  createInterface({ input: stdout }).on('line', (line) => lines.push(line));
  let stderr = '';
  errors.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (lines.some((line) => line.startsWith('Press Ctrl+C'))) resolve();
      };
      stdout.on('data', () => setImmediate(check));
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
  return { child, lines, exited, ready, stderr: () => stderr };
}

/** Sends `request` over the child's IPC channel and resolves with the answer that carries its id. */
function ask(child: ChildProcess, request: { id: number } & Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve) => {
    const answer = (message: unknown): void => {
      if ((message as { id?: unknown }).id !== request.id) return;
      child.off('message', answer);
      resolve(message);
    };
    child.on('message', answer);
    child.send(request);
  });
}

afterAll(removeFreshDirs);

describe('npm start', () => {
  it('serves the gateway, prints the URL, the admin key and the demo secret key, and stops cleanly on SIGTERM', async () => {
    const started = start({ PORT: '0', DATA_DIR: freshDir('npm-start'), HOST: '127.0.0.1' });
    await started.ready();

    const url = /listening on (http:\/\/\S+)/.exec(started.lines.join('\n'))?.[1];
    const health = await fetch(`${url ?? ''}/health`);
    started.child.kill('SIGTERM');

    expect(health.status).toBe(200);
    expect(started.lines.join('\n')).toMatch(/admin key: +\S{16,}/);
    expect(started.lines.join('\n')).toMatch(/demo secret key: +sk_\S+/);
    expect(await started.exited).toBe(0);
  });

  it.each([
    ['PORT', 'three thousand'],
    ['LOCAL_BATCHING_WINDOW_SECONDS', '-1'],
  ])('refuses to start on a malformed setting, naming it (%s=%s)', async (name, value) => {
    const started = start({ [name]: value, DATA_DIR: freshDir('npm-start-bad') });

    const code = await started.exited;

    expect(code).toBe(2);
    expect(started.stderr()).toContain(name);
  });

  it('runs a schedule when the parent that started it over IPC asks, and says why it cannot', async () => {
    const started = start({ PORT: '0', DATA_DIR: freshDir('npm-start-ipc'), HOST: '127.0.0.1', LOCAL_BATCHING_WINDOW_SECONDS: '0' }, { ipc: true });
    await started.ready();

    const swept = await ask(started.child, { id: 1, runSchedule: 'outboxSweep' });
    const unknown = await ask(started.child, { id: 2, runSchedule: 'nightlyReport' });
    started.child.kill('SIGTERM');

    expect(swept).toEqual({ id: 1, result: { published: 0 } });
    expect(unknown).toMatchObject({ id: 2, error: expect.stringContaining('not a schedule request') });
    expect(await started.exited).toBe(0);
  });
});
