import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { paginationQueryShape } from '../../../functions/contract/common.ts';
import { CardError, NotFoundError, RateLimitError } from '../../../functions/core/errors.ts';
import { createApiHandler } from '../../../functions/http/handler.ts';
import { MAX_BODY_BYTES } from '../../../functions/http/middlewares.ts';
import { pageResult } from '../../../functions/http/pagination.ts';
import { defineRoute } from '../../../functions/http/route.ts';
import { declareRoutes } from '../../../functions/http/route-declaration.ts';
import { declared } from './declared.ts';
import { admin, apiEvent, jsonOf, lambdaContext, merchant } from './api-event.ts';
import { captureLogs } from './capture-logs.ts';
import { MemoryIdempotencyRecords, memoryPipeline } from './memory-idempotency.ts';

const paymentBody = z.strictObject({
  amount: z.number().int(),
  currency: z.string().length(3),
  card: z.strictObject({ number: z.string(), cvc: z.string().optional() }).optional(),
});

const failures = {
  card: new CardError('invalid_number', 'The card number is not valid.', { param: 'card_number', declineCode: 'generic_decline' }),
  missing: new NotFoundError('transaction', 'txn_1', 'transaction_id'),
  limited: new RateLimitError(2.5),
  bug: new Error('ECONNRESET talking to 10.0.0.7 with secret s3cr3t'),
} as const;

const idempotencyRecords = new MemoryIdempotencyRecords();
const handler = createApiHandler([
  defineRoute(declared('POST', '/payments', { body: paymentBody }), async (request) => ({
    status: 201,
    body: { received: request.body, principal: request.principal, idempotency_key: request.idempotencyKey ?? null },
  })),
  defineRoute(
    declared('POST', '/payments/{transaction_id}/capture', { body: z.strictObject({ fail: z.enum(['card', 'missing', 'limited', 'bug']) }) }),
    async (request) => {
      throw failures[request.body.fail];
    },
  ),
  defineRoute(
    declared('GET', '/transactions', { query: z.strictObject({ ...paginationQueryShape, status: z.enum(['pending', 'captured']).optional() }) }),
    async (request) =>
      pageResult(request.location, { items: [{ query: request.query }], nextKey: { gsi1pk: 'MER#mer_1#TXN', gsi1sk: 'txn_9' } }),
  ),
  defineRoute(declared('GET', '/health'), async () => ({ status: 200, body: { status: 'ok' } })),
  defineRoute(declared('POST', '/merchants'), async () => ({ status: 201, body: {} })),
], memoryPipeline(idempotencyRecords));

const postPayment = (body: string, headers: Record<string, string> = {}) =>
  handler(apiEvent('POST', '/payments', { caller: merchant, body, headers }), lambdaContext);

async function expectProblem(
  responsePromise: ReturnType<typeof handler>,
  expected: { status: number; code: string; param?: string },
) {
  const response = await responsePromise;
  expect(response.statusCode).toBe(expected.status);
  expect(response.headers?.['Content-Type']).toBe('application/problem+json');
  const problem = jsonOf(response);
  expect(problem).toMatchObject({
    type: `https://docs.payment-gateway.dev/errors/${expected.code}`,
    status: expected.status,
    code: expected.code,
    request_id: response.headers?.['Request-Id'],
  });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  if (expected.param === undefined) expect(problem).not.toHaveProperty('param');
  else expect(problem.param).toBe(expected.param);
  return problem;
}

describe('the API pipeline', () => {
  it('hands the route its validated body and the caller, and answers compact JSON with the standard headers', async () => {
    const event = apiEvent('POST', '/payments', {
      caller: merchant,
      body: '{"amount":100,"currency":"EUR"}',
      headers: { 'Idempotency-Key': 'order-42' },
      requestId: 'req-fixed-1',
    });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({
      'Content-Type': 'application/json',
      'Request-Id': 'req-fixed-1',
      'Cache-Control': 'no-store',
    });
    expect(response.body).toBe(
      JSON.stringify({
        received: { amount: 100, currency: 'EUR' },
        principal: { kind: 'merchant', merchantId: merchant.merchantId, keyId: merchant.keyId },
        idempotency_key: 'order-42',
      }),
    );
  });

  it('replays the first response to a retry with the same Idempotency-Key, and refuses the key with another body', async () => {
    const send = (body: string) => postPayment(body, { 'Idempotency-Key': 'retry-7' });
    const first = await send('{"amount":100,"currency":"EUR"}');

    const retry = await send('{"amount":100,"currency":"EUR"}');

    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(first.headers).not.toHaveProperty('Idempotent-Replayed');
    await expectProblem(send('{"amount":200,"currency":"EUR"}'), { status: 422, code: 'idempotency_key_reused' });
  });

  it('holds a key as long as it was told: a request that dies leaves it for a retry that much sooner', async () => {
    const records = new MemoryIdempotencyRecords();
    const shortLock = createApiHandler(
      [defineRoute(declared('POST', '/payments', { body: paymentBody }), async () => ({ status: 201, body: {} }))],
      { ...memoryPipeline(records), idempotencyLockMs: 2_000 },
    );
    const before = Date.now();

    await shortLock(
      apiEvent('POST', '/payments', { caller: merchant, body: '{"amount":1,"currency":"EUR"}', headers: { 'Idempotency-Key': 'lock-2s' } }),
      lambdaContext,
    );

    const record = await records.get({ merchantId: merchant.merchantId, key: 'lock-2s' });
    expect(record?.lockedUntil).toBeGreaterThanOrEqual(before + 2_000);
    expect(record?.lockedUntil).toBeLessThanOrEqual(Date.now() + 2_000);
  });

  it('accepts application/json with a UTF-8 charset', async () => {
    const response = await postPayment('{"amount":100,"currency":"EUR"}', { 'content-type': 'Application/JSON; charset=UTF-8' });

    expect(response.statusCode).toBe(201);
  });

  it('refuses malformed JSON with invalid_json', async () => {
    await expectProblem(postPayment('{"amount": 100,'), { status: 400, code: 'invalid_json' });
  });

  it.each(['[1,2]', '"text"', 'null', '42'])('refuses a body that is not an object: %s', async (body) => {
    await expectProblem(postPayment(body), { status: 400, code: 'invalid_request_body' });
  });

  it('names a mistyped field with parameter_invalid', async () => {
    const problem = await expectProblem(postPayment('{"amount":"100","currency":"EUR"}'), {
      status: 400,
      code: 'parameter_invalid',
      param: 'amount',
    });
    expect(problem.detail).toContain("'amount'");
  });

  it('names a missing field with parameter_missing', async () => {
    const problem = await expectProblem(postPayment('{"amount":100}'), { status: 400, code: 'parameter_missing', param: 'currency' });
    expect(problem.detail).toContain("'currency'");
  });

  it('names an unknown field, before any missing one, with parameter_unknown', async () => {
    await expectProblem(postPayment('{"amount":100,"curency":"EUR"}'), { status: 400, code: 'parameter_unknown', param: 'curency' });
  });

  it('gives the dotted path of a nested unknown field', async () => {
    await expectProblem(postPayment('{"amount":100,"currency":"EUR","card":{"number":"x","pin":"1"}}'), {
      status: 400,
      code: 'parameter_unknown',
      param: 'card.pin',
    });
  });

  it('never echoes a card number used as a field name', async () => {
    const response = await postPayment('{"amount":100,"currency":"EUR","4242424242424242":"x"}');

    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('4242424242424242');
  });

  it.each([
    ['__proto__ at the top', '{"amount":100,"currency":"EUR","__proto__":{"polluted":true}}'],
    ['__proto__ nested', '{"amount":100,"currency":"EUR","card":{"number":"x","__proto__":{"polluted":true}}}'],
    ['constructor.prototype', '{"amount":100,"currency":"EUR","constructor":{"prototype":{"polluted":true}}}'],
  ])('refuses prototype pollution (%s) and leaves Object.prototype untouched', async (_, body) => {
    await expectProblem(postPayment(body), { status: 400, code: 'invalid_json' });

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['form data', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['a charset other than UTF-8', { 'Content-Type': 'application/json; charset=iso-8859-1' }],
  ])('refuses a body sent as %s with 415', async (_, headers) => {
    await expectProblem(postPayment('{"amount":100,"currency":"EUR"}', headers), { status: 415, code: 'unsupported_media_type' });
  });

  it('refuses a body without Content-Type with 415', async () => {
    const event = apiEvent('POST', '/payments', { caller: merchant, body: '{}' });
    event.headers = {};

    await expectProblem(handler(event, lambdaContext), { status: 415, code: 'unsupported_media_type' });
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const body = JSON.stringify({ amount: 100, currency: 'EUR', padding: 'x'.repeat(MAX_BODY_BYTES) });

    await expectProblem(postPayment(body), { status: 413, code: 'payload_too_large' });
  });

  it('answers 401 when no principal came from the authorizer', async () => {
    const event = apiEvent('POST', '/payments', { body: '{"amount":100,"currency":"EUR"}' });

    await expectProblem(handler(event, lambdaContext), { status: 401, code: 'unauthenticated' });
  });

  it('answers 403 forbidden for the admin key on a merchant route', async () => {
    const event = apiEvent('POST', '/payments', { caller: admin, body: '{"amount":100,"currency":"EUR"}' });

    await expectProblem(handler(event, lambdaContext), { status: 403, code: 'forbidden' });
  });

  it('answers 403 forbidden for a merchant key on an admin route', async () => {
    const event = apiEvent('POST', '/merchants', { caller: merchant, body: '{}' });

    await expectProblem(handler(event, lambdaContext), { status: 403, code: 'forbidden' });
  });

  it('checks the caller before looking at the body', async () => {
    const event = apiEvent('POST', '/payments', { body: '{not json' });

    await expectProblem(handler(event, lambdaContext), { status: 401, code: 'unauthenticated' });
  });

  it('lets anyone call a public route', async () => {
    const response = await handler(apiEvent('GET', '/health'), lambdaContext);

    expect(response.statusCode).toBe(200);
  });

  it('refuses unsupported query parameters with parameter_unknown', async () => {
    await expectProblem(handler(apiEvent('GET', '/health', { query: { verbose: '1' } }), lambdaContext), {
      status: 400,
      code: 'parameter_unknown',
      param: 'verbose',
    });
  });

  it.each(['0', '101', 'ten', ''])('refuses limit=%s', async (limit) => {
    await expectProblem(handler(apiEvent('GET', '/transactions', { caller: merchant, query: { limit } }), lambdaContext), {
      status: 400,
      code: 'parameter_invalid',
      param: 'limit',
    });
  });

  it('pages a list: a JSON array, default limit, and a Link to the next page that keeps the other parameters', async () => {
    const event = apiEvent('GET', '/transactions', {
      caller: merchant,
      query: { status: 'captured' },
      headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'https' },
    });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual([{ query: { limit: 20, status: 'captured' } }]);
    const link = response.headers?.Link;
    expect(link).toMatch(/^<https:\/\/api\.example\.com\/prod\/transactions\?status=captured&starting_after=[A-Za-z0-9_-]+>; rel="next"$/);
  });

  it('refuses an Idempotency-Key longer than 255 characters', async () => {
    await expectProblem(postPayment('{"amount":100,"currency":"EUR"}', { 'Idempotency-Key': 'k'.repeat(256) }), {
      status: 400,
      code: 'idempotency_key_invalid',
      param: 'Idempotency-Key',
    });
  });

  it('maps a card error to 402 with its decline code', async () => {
    const event = apiEvent('POST', '/payments/{transaction_id}/capture', { caller: merchant, body: '{"fail":"card"}' });

    const problem = await expectProblem(handler(event, lambdaContext), { status: 402, code: 'invalid_number', param: 'card_number' });
    expect(problem.decline_code).toBe('generic_decline');
  });

  it('maps not found to 404', async () => {
    const event = apiEvent('POST', '/payments/{transaction_id}/capture', { caller: merchant, body: '{"fail":"missing"}' });

    await expectProblem(handler(event, lambdaContext), { status: 404, code: 'resource_missing', param: 'transaction_id' });
  });

  it('maps a rate limit to 429 with Retry-After in whole seconds', async () => {
    const event = apiEvent('POST', '/payments/{transaction_id}/capture', { caller: merchant, body: '{"fail":"limited"}' });

    const response = await handler(event, lambdaContext);

    await expectProblem(Promise.resolve(response), { status: 429, code: 'rate_limited' });
    expect(response.headers?.['Retry-After']).toBe('3');
  });

  it('answers an unexpected error with a bare 500 that reveals nothing of it, and logs the error for operators', async () => {
    const event = apiEvent('POST', '/payments/{transaction_id}/capture', {
      caller: merchant,
      body: '{"fail":"bug"}',
      requestId: 'req-broken-1',
    });

    let response: Awaited<ReturnType<typeof handler>> | undefined;
    const logs = await captureLogs(async () => {
      response = await handler(event, lambdaContext);
    });

    if (response === undefined) throw new Error('no response');
    await expectProblem(Promise.resolve(response), { status: 500, code: 'internal_error' });
    expect(response.body).not.toMatch(/ECONNRESET|10\.0\.0\.7|s3cr3t|at .*\.ts/);
    expect(response.headers?.['Request-Id']).toBe('req-broken-1');
    const logLine = JSON.parse(logs.trim().split('\n').at(-1) ?? '{}');
    expect(logLine).toMatchObject({ level: 'ERROR', request_id: 'req-broken-1', error: { message: expect.stringContaining('ECONNRESET') } });
  });

  it('never logs the request body', async () => {
    const logs = await captureLogs(() =>
      handler(apiEvent('POST', '/payments/{transaction_id}/capture', { caller: merchant, body: '{"fail":"bug"}' }), lambdaContext),
    );

    expect(logs).not.toContain('"fail"');
  });

  it('answers a route this function does not serve with 404', async () => {
    await expectProblem(handler(apiEvent('GET', '/nowhere'), lambdaContext), { status: 404, code: 'route_not_found' });
  });

  it('sends no CORS headers', async () => {
    const response = await postPayment('{"amount":"bad"}', { Origin: 'https://evil.example' });

    expect(Object.keys(response.headers ?? {}).filter((name) => name.toLowerCase().startsWith('access-control'))).toEqual([]);
  });
});

describe('declareRoutes', () => {
  it('refuses a body schema that would silently drop unknown fields, at load time', () => {
    const loose = { ...declared('POST', '/payments'), body: z.object({ amount: z.number() }) };

    expect(() => declareRoutes({ createPayment: loose })).toThrow(/strictObject/);
  });

  it('names each route by the key it is declared under', () => {
    const { operationId: _operationId, ...route } = declared('GET', '/health');

    const { probe } = declareRoutes({ probe: route });

    expect(probe.operationId).toBe('probe');
  });
});
