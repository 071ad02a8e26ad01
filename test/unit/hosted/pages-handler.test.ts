import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, makePagesHandler, type StaticFiles } from '../../../functions/hosted/pages-handler.ts';
import { apiEvent } from '../http/api-event.ts';

const files: StaticFiles = {
  pages: new Map([['checkout', { body: '<!doctype html><title>Pay</title>', contentType: 'text/html; charset=utf-8' }]]),
  assets: new Map([['checkout.js', { body: 'void 0;', contentType: 'text/javascript; charset=utf-8' }]]),
};
const handler = makePagesHandler(files);

const asset = (file: string): APIGatewayProxyEvent =>
  apiEvent('GET', '/pages/assets/{file}', { path: `/pages/assets/${file}`, pathParameters: { file }, requestId: 'req-1' });

describe('the pages function', () => {
  it('serves a page as it was read, revalidated on every load, under the strict security policy', async () => {
    const response = await handler(apiEvent('GET', '/pages/checkout'));

    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('<!doctype html><title>Pay</title>');
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Frame-Options': 'DENY',
    });
  });

  it('answers a name it did not read at start with a 404 problem that no cache keeps', async () => {
    const response = await handler(asset('..%2F..%2Fpackage.json'));

    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Request-Id': 'req-1', 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
    expect(JSON.parse(response.body)).toMatchObject({ code: 'resource_missing', request_id: 'req-1' });
  });
});
