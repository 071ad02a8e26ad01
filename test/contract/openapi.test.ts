/**
 * openapi.yaml, the routes of lib/topology.ts and the handlers must agree: the file is generated from the
 * topology and the route contracts, the contracts name the handlers' own schemas, and the file is valid
 * OpenAPI 3.1 by a maintained linter.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contractOf, routeKey } from '../../functions/contract/routes.ts';
import type { ApiHandler } from '../../functions/http/handler.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { renderOpenApiYaml } from '../../lib/openapi.ts';
import { functions, routes } from '../../lib/topology.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const openApiPath = join(repositoryRoot, 'openapi.yaml');
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

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

describe('the route contracts', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    // The handlers read their configuration when they load; the local runtime gives them all of it.
    runtime = await startLocalRuntime({ dataDir: mkdtempSync(join(tmpdir(), 'gateway-contract-')), port: 0 });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('hold the very schemas each handler validates with', async () => {
    const entries = [...new Set(routes.map((route) => functions[route.function].entry))];
    const served = (
      await Promise.all(
        entries.map(async (entry) => {
          const module = (await import(pathToFileURL(join(repositoryRoot, entry)).href)) as { handler: ApiHandler };
          return module.handler.routes;
        }),
      )
    ).flat();

    expect(served.map((route) => routeKey(route.spec)).sort()).toEqual(routes.map(routeKey).sort());
    for (const route of served) {
      const contract = contractOf(route.spec);
      expect(contract.body, `${routeKey(route.spec)} body`).toBe(route.body);
      expect(contract.query, `${routeKey(route.spec)} query`).toBe(route.query);
    }
  });
});
