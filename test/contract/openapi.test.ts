/**
 * openapi.yaml, the routes of lib/topology.ts and the handlers must agree: the file is generated from the
 * routes the capabilities declare, each function's handler serves exactly the declarations of its routes, and
 * the file is valid OpenAPI 3.1 by a maintained linter.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ApiHandler } from '../../functions/http/handler.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { renderOpenApiYaml } from '../../lib/openapi.ts';
import { routes } from '../../lib/routes.ts';
import { functions } from '../../lib/topology.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const openApiPath = join(repositoryRoot, 'openapi.yaml');
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const routeKey = (route: { readonly method: string; readonly path: string }): string => `${route.method} ${route.path}`;

function operationsIn(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => methods.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe('openapi.yaml', () => {
  it('is exactly what `npm run openapi` writes from the topology and the route contracts', () => {
    const committed = readFileSync(openApiPath, 'utf8');

    const generated = renderOpenApiYaml();

    expect(committed, 'openapi.yaml is out of date: run `npm run openapi`').toBe(generated);
  });

  it('documents every route of the topology, and nothing else', () => {
    const document = parse(readFileSync(openApiPath, 'utf8'));

    const documented = operationsIn(document).sort();

    expect(documented).toEqual(routes.map(routeKey).sort());
  });

  it('is valid OpenAPI 3.1 by Redocly', async () => {
    const cli = join(repositoryRoot, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', '--format=json', openApiPath], {
      cwd: repositoryRoot,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });

    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});

describe('the route declarations', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    // The handlers read their configuration when they load; the local runtime gives them all of it.
    runtime = await startLocalRuntime({ dataDir: mkdtempSync(join(tmpdir(), 'gateway-contract-')), port: 0 });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('are each served by the handler of the function they name, and no handler serves another', async () => {
    const names = [...new Set(routes.map((route) => route.function))];

    const servedBy = await Promise.all(
      names.map(async (name) => {
        const module = (await import(pathToFileURL(join(repositoryRoot, functions[name].entry)).href)) as { handler: ApiHandler };
        return { name, declarations: module.handler.routes.map((route) => route.declaration) };
      }),
    );

    for (const { name, declarations } of servedBy) {
      const declared = routes.filter((route) => route.function === name);
      expect(declarations, name).toHaveLength(declared.length);
      // The very declaration objects: the handler validates with the schemas openapi.yaml documents.
      declarations.forEach((declaration, index) => expect(declaration, routeKey(declaration)).toBe(declared[index]));
    }
  });
});
