import { describe, expect, it } from 'vitest';
import { makeHealthHandler } from '../../../functions/health/handler.ts';
import { apiEvent, jsonOf, lambdaContext } from '../http/api-event.ts';
import { captureLogs } from '../http/capture-logs.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';

const build = (checkReadable: () => Promise<void>) => makeHealthHandler({ table: { checkReadable }, ...memoryPipeline() });

describe('GET /health', () => {
  it('answers ok, without a key, when the table can be read', async () => {
    const response = await build(async () => undefined)(apiEvent('GET', '/health'), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({ status: 'ok', checks: { table: 'ok' } });
  });

  it('answers a 503 problem, without the cause, when the table cannot be read', async () => {
    const handler = build(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
    });

    let status = 0;
    let body = '';
    await captureLogs(async () => {
      const response = await handler(apiEvent('GET', '/health'), lambdaContext);
      status = response.statusCode;
      body = response.body;
    });

    expect(status).toBe(503);
    expect(JSON.parse(body)).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(body).not.toContain('ECONNREFUSED');
  });
});
