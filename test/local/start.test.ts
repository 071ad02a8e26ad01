import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDir, removeFreshDirs } from './helpers.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');

/** Runs `npm start`'s entry point (bin/local.ts under tsx) with the given environment. */
function start(environment: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (lines.some((line) => line.startsWith('Press Ctrl+C'))) resolve();
      };
      child.stdout.on('data', () => setImmediate(check));
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
  return { child, lines, exited, ready, stderr: () => stderr };
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

  it('refuses to start on a malformed setting, naming it', async () => {
    const started = start({ PORT: 'three thousand', DATA_DIR: freshDir('npm-start-bad') });

    const code = await started.exited;

    expect(code).toBe(2);
    expect(started.stderr()).toContain('PORT');
  });
});
