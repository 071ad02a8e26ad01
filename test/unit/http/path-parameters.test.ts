/**
 * The pipeline refuses, with 404 `resource_missing` naming the parameter, any path parameter that cannot be an
 * id of ours, before the route's handler runs: such a value names nothing we store, and an over-long one would
 * break the DynamoDB key it went into (a 500).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { newId } from '../../../functions/core/ids.ts';
import { createApiHandler } from '../../../functions/http/handler.ts';
import { defineRoute, type ApiRoute } from '../../../functions/http/route.ts';
import { declared } from './declared.ts';
import { routes as topologyRoutes } from '../../../lib/routes.ts';
import type { RouteAuth, RouteSpec } from '../../../lib/topology.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from './api-event.ts';
import { memoryPipeline } from './memory-idempotency.ts';

const PARAMETER = /\{([^}]+)\}/g;
const parametersOf = (path: string): string[] => [...path.matchAll(PARAMETER)].map((match) => match[1] ?? '');

/** Routes whose every path parameter is an id; the others declare theirs `notAnId` (e.g. a page asset's file name). */
const idRoutes = topologyRoutes.filter(
  (route) =>
    parametersOf(route.path).length > 0 &&
    parametersOf(route.path).every((name) => typeof route.pathParameters?.[name] === 'string'),
);

const handled: string[] = [];
const handler = createApiHandler(
  idRoutes.map(
    (spec): ApiRoute =>
      defineRoute(declared(spec.method, spec.path), async (request) => {
        handled.push(`${spec.method} ${spec.path}`);
        return { status: 200, body: { path_parameters: request.pathParameters } };
      }),
  ),
  memoryPipeline(),
);

/** Who the authorizer would have said the caller is, for a route's auth. */
function authorizerFor(auth: RouteAuth): APIGatewayProxyEvent['requestContext']['authorizer'] {
  switch (auth) {
    case 'none':
      return null;
    case 'admin':
      return { principal: 'admin' };
    case 'merchant':
      return { ...merchant };
    default:
      return { principal: auth, merchantId: merchant.merchantId, sessionId: 'chk_01JD2Z8Q7F3X4Y5Z6A7B8C9D0Q' };
  }
}

function eventFor(route: RouteSpec, value: string): APIGatewayProxyEvent {
  const pathParameters = Object.fromEntries(parametersOf(route.path).map((name) => [name, value]));
  const event = apiEvent(route.method, route.path, { pathParameters, path: route.path.replace(PARAMETER, value) });
  return { ...event, requestContext: { ...event.requestContext, authorizer: authorizerFor(route.auth) } };
}

const route = (method: string, path: string): RouteSpec => {
  const found = idRoutes.find((candidate) => candidate.method === method && candidate.path === path);
  if (found === undefined) throw new Error(`${method} ${path} is not an id route of lib/topology.ts`);
  return found;
};

describe('path parameters that cannot be ids', () => {
  it('names every path parameter of the topology either an id or an explicit exception', () => {
    const names = new Set(idRoutes.flatMap((spec) => parametersOf(spec.path)));

    expect([...names].sort()).toEqual(['id', 'transaction_id']);
  });

  it.each([
    ['over-long', 'txn_' + 'A'.repeat(2996)],
    ['wrong alphabet (ULID has no I, L, O, U)', 'txn_01JD2Z8Q7F3X4Y5Z6A7B8C9DIL'],
    ['lower case', 'txn_01jd2z8q7f3x4y5z6a7b8c9d0e'],
    ['unknown prefix', 'abc_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E'],
    ['no prefix', '01JD2Z8Q7F3X4Y5Z6A7B8C9D0E'],
    ['empty', ''],
  ])('answers 404 resource_missing naming the parameter for a %s id, before the handler runs', async (_case, value) => {
    handled.length = 0;

    const response = await handler(eventFor(route('GET', '/payments/{transaction_id}'), value), lambdaContext);

    expect(response.statusCode).toBe(404);
    expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: 'transaction_id' });
    expect(handled).toEqual([]);
  });

  it('does not echo the refused value', async () => {
    const value = 'txn_' + 'A'.repeat(2996);

    const response = await handler(eventFor(route('GET', '/payments/{transaction_id}'), value), lambdaContext);

    expect(response.body).not.toContain('AAAAAAAAAA');
  });

  it.each(idRoutes.map((spec) => [`${spec.method} ${spec.path}`, spec] as const))(
    '%s refuses a 3000-character id with 404',
    async (_name, spec) => {
      const response = await handler(eventFor(spec, 'x'.repeat(3000)), lambdaContext);

      expect(response.statusCode).toBe(404);
      expect(jsonOf(response)).toMatchObject({ code: 'resource_missing', param: parametersOf(spec.path)[0] });
    },
  );

  it('passes a well-formed id of any of our kinds on to the handler', async () => {
    handled.length = 0;
    const id = newId('customer');

    const response = await handler(eventFor(route('GET', '/customers/{id}'), id), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toEqual({ path_parameters: { id } });
    expect(handled).toEqual(['GET /customers/{id}']);
  });

  it('still answers 401 before 404 to a caller without a key', async () => {
    const event = apiEvent('GET', '/payments/{transaction_id}', { pathParameters: { transaction_id: 'nope' } });

    const response = await handler(event, lambdaContext);

    expect(response.statusCode).toBe(401);
  });
});
