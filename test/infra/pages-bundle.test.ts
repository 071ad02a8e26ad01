/**
 * The pages function bundled for real, as GatewayFunction packages it for Lambda: the hosted pages' files
 * travel beside the bundle (copied by the bundling hook) and the bundle serves them, byte for byte as in the
 * repository, with the pages' security headers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForReal, type BundledFunction } from './bundle-for-real.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

let bundled: BundledFunction;
let assetDir: string;

beforeAll(() => {
  bundled = bundleForReal('pages');
  ({ assetDir } = bundled);
});

afterAll(() => {
  bundled.remove();
});

function pageEvent(resource: string, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource,
    path: resource,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-pages-1' } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('the bundled pages function', () => {
  it('carries the pages beside its bundle', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'pages']);
    expect(readdirSync(path.join(assetDir, 'pages', 'assets'))).toContain('checkout.js');
  });

  it('serves them as the repository holds them, with the security headers', async () => {
    const { handler } = (await import(pathToFileURL(path.join(assetDir, 'index.mjs')).href)) as {
      handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
    };

    const page = await handler(pageEvent('/pages/checkout'));
    const script = await handler(pageEvent('/pages/assets/{file}', { file: 'checkout.js' }));
    const missing = await handler(pageEvent('/pages/assets/{file}', { file: 'secret.txt' }));

    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(readFileSync(path.join(projectRoot, 'pages', 'checkout.html'), 'utf8'));
    expect(page.headers?.['Content-Security-Policy']).toContain("default-src 'none'");
    expect(script.headers?.['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe(readFileSync(path.join(projectRoot, 'pages', 'assets', 'checkout.js'), 'utf8'));
    expect(missing.statusCode).toBe(404);
  });
});
