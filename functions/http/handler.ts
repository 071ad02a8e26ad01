/**
 * `createApiHandler(routes, pipeline)`: the Lambda handler of one API function, serving the routes it is given.
 * Every request passes the same steps, in this order:
 *   request id + log context → problem details → route → `requestSteps` (auth → media type → size → JSON and
 *   validation → Idempotency-Key) → the route, under its Idempotency-Key.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { newId } from '../core/ids.ts';
import { logger } from '../observability/logger.ts';
import {
  problemDetails,
  requestIdentity,
  requestSteps,
  resolveRoute,
  routeOf,
  stateOf,
  type ApiEvent,
  type ApiState,
} from './middlewares.ts';
import type { ApiRequest, ApiResult, ApiRoute, Principal, RequestLocation } from './route.ts';
import { functions, type FunctionAccess } from '../../lib/topology.ts';
import { defaultTimings, executeIdempotently, hashRequest } from '../idempotency/execute-idempotently.ts';
import type { IdempotencyRecords, Sealer, StoredResponse } from '../idempotency/ports.ts';
import { sealedResponses } from '../idempotency/sealed-responses.ts';
import { REPLAYED_HEADER } from './idempotency.ts';

export interface ApiHandler {
  (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult>;
  /** The routes this handler serves, with the very schemas it validates them with. */
  readonly routes: readonly ApiRoute[];
}

const JSON_CONTENT_TYPE = 'application/json';

/**
 * What the pipeline itself needs, besides the routes: built on first use, since only functions with POST
 * routes keep Idempotency-Key records and only those with `secretInResponse` routes seal them (loading an SDK
 * client is most of a cold start). functions/wiring/api-pipeline.ts builds the real ones.
 */
export interface ApiPipelineDependencies {
  readonly idempotencyRecords: () => IdempotencyRecords;
  /** Seals the stored responses of `secretInResponse` routes. */
  readonly responseSealer: () => Promise<Sealer>;
  /** How long a request holds its Idempotency-Key before a retry may presume it dead; 30 s unless given. */
  readonly idempotencyLockMs?: number;
}

export function createApiHandler(
  routes: readonly ApiRoute[],
  { idempotencyRecords, responseSealer, idempotencyLockMs }: ApiPipelineDependencies,
): ApiHandler {
  requireSealingAccess(routes);
  const idempotencyTimings = idempotencyLockMs === undefined ? defaultTimings : { ...defaultTimings, lockMs: idempotencyLockMs };
  // Built before the route runs: a sealer that cannot be built (no key id) fails the request before it creates a secret.
  const recordsFor = async (route: ApiRoute): Promise<IdempotencyRecords> =>
    route.declaration.secretInResponse === true ? sealedResponses(idempotencyRecords(), await responseSealer()) : idempotencyRecords();
  const pipeline = middy<ApiEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestIdentity())
    .use(problemDetails())
    .use(resolveRoute(routes))
    .use(requestSteps.flatMap((step) => step.middlewares()))
    .handler(async (event) => {
      const state = stateOf(event);
      const route = routeOf(state);
      const request = apiRequestOf(event, state);
      const key = state.idempotencyKey;
      if (event.httpMethod !== 'POST' || key === undefined) return renderResult(await route.handle(request));

      const { response, replayed } = await executeIdempotently(
        await recordsFor(route),
        {
          scope: { merchantId: idempotencyScopeOf(request.principal), key },
          requestHash: hashRequest('POST', event.path, event.body ?? ''),
        },
        async (newId) => toStoredResponse(renderResult(await route.handle({ ...request, newId }))),
        idempotencyTimings,
      );
      return {
        statusCode: response.status,
        headers: replayed ? { ...response.headers, [REPLAYED_HEADER]: 'true' } : { ...response.headers },
        body: response.body,
      };
    });
  return Object.assign(pipeline, { routes });
}

/** A route that seals its responses in a function IAM does not let seal them would fail every keyed request: fail the cold start. */
function requireSealingAccess(routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    const { declaration } = route;
    const access: FunctionAccess = functions[declaration.function].access;
    if (declaration.secretInResponse === true && access.idempotentResponses !== true) {
      throw new Error(
        `${declaration.method} ${declaration.path}: secretInResponse needs access.idempotentResponses on ${declaration.function}`,
      );
    }
  }
}

/**
 * Keys are scoped per merchant; the operator's admin calls have a scope of their own. A hosted-page session
 * acts for its merchant but gets a scope of its own too: its holder (a shopper) must not be able to take
 * a key the merchant will use, which would turn the merchant's request into a 422.
 */
function idempotencyScopeOf(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous':
    case 'admin':
      return principal.kind;
    case 'merchant':
      return principal.merchantId;
    default:
      return `${principal.merchantId}#${principal.sessionId}`;
  }
}

function toStoredResponse(result: APIGatewayProxyResult): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  return { status: result.statusCode, body: result.body, headers };
}

function apiRequestOf(event: ApiEvent, state: ApiState): ApiRequest {
  if (state.principal === undefined) throw new Error('authenticate did not run');
  const pathParameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
    if (value !== undefined) pathParameters[name] = value;
  }
  return {
    principal: state.principal,
    requestId: state.requestId,
    headers: state.headers,
    pathParameters,
    query: state.query,
    body: state.body,
    idempotencyKey: state.idempotencyKey,
    location: locationOf(event, state.headers),
    newId: (kind) => newId(kind),
  };
}

function locationOf(event: APIGatewayProxyEvent, headers: Readonly<Record<string, string>>): RequestLocation {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  const proto = headers['x-forwarded-proto'];
  const host = headers.host;
  return {
    origin: proto !== undefined && host !== undefined ? `${proto}://${host}` : undefined,
    // The path the client called, stage or base path included; `event.path` lacks them.
    path: event.requestContext?.path ?? event.path,
    query,
  };
}

export function renderResult(result: ApiResult): APIGatewayProxyResult {
  return {
    statusCode: result.status,
    headers: { 'Content-Type': JSON_CONTENT_TYPE, ...result.headers },
    body: JSON.stringify(result.body),
  };
}
