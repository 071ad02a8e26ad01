/**
 * The steps every API request goes through, in the order `createApiHandler` composes them. A step that
 * refuses the request throws; `problemDetails` turns that into the response. Each step that can refuse says
 * what it refuses on which routes (`RequestStep.refusals`): openapi.yaml documents those refusals from here.
 * Nothing here logs the event or the body: they may hold card data.
 */
import { randomUUID } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import secureJsonParse from 'secure-json-parse';
import * as z from 'zod';
import { AuthenticationError, ForbiddenError, GatewayError, InvalidRequestError } from '../core/errors.ts';
import { isAnyId } from '../core/ids.ts';
import { logger } from '../observability/logger.ts';
import { IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, readIdempotencyKey } from './idempotency.ts';
import { isExpectedError, payloadTooLarge, problemResponse, routeNotFound, unsupportedMediaType } from './problem.ts';
import { sessionAuths, type RouteAuth } from '../../lib/topology.ts';
import type { ErrorCase, RouteDeclaration } from './route-declaration.ts';
import type { ApiRoute, Principal } from './route.ts';
import { validationError } from './validation.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** What the steps learn about one request, carried on the event copy that the first step makes. */
export interface ApiState {
  readonly requestId: string;
  route?: ApiRoute;
  principal?: Principal;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, then the validated one. */
  body?: unknown;
  query?: unknown;
  idempotencyKey?: string;
}

export const apiState: unique symbol = Symbol('apiState');
export type ApiEvent = APIGatewayProxyEvent & { [apiState]?: ApiState };
export type ApiMiddleware = middy.MiddlewareObj<ApiEvent, APIGatewayProxyResult, Error, Context>;

/** A step that may refuse a request: its middlewares, in order, and what they refuse on a route. */
export interface RequestStep {
  readonly middlewares: () => readonly ApiMiddleware[];
  /** The problems it answers on this route, each with its status, `code` and when. */
  readonly refusals: (route: RouteDeclaration) => readonly ErrorCase[];
}
type ApiMiddyRequest = middy.Request<ApiEvent, APIGatewayProxyResult, Error, Context>;

export function stateOf(event: ApiEvent): ApiState {
  const state = event[apiState];
  if (state === undefined) throw new Error('requestIdentity must run first');
  return state;
}

/** A step that needs the route runs after `resolveRoute`; a missing one is a composition bug. */
export function routeOf(state: ApiState): ApiRoute {
  if (state.route === undefined) throw new Error('resolveRoute must run before this step');
  return state.route;
}

const STANDARD_HEADERS = { 'Cache-Control': 'no-store' } as const;

/**
 * Names the request (API Gateway's request id, which its own logs carry too), tags every log line with it,
 * and stamps `Request-Id` and `Cache-Control` on whatever response leaves, success or problem.
 */
export function requestIdentity(): ApiMiddleware {
  const stamp = (request: ApiMiddyRequest): void => {
    const response = request.response;
    if (response === null || response === undefined) return;
    const requestId = request.event[apiState]?.requestId ?? fallbackRequestId(request.context);
    response.headers = { ...response.headers, 'Request-Id': requestId, ...STANDARD_HEADERS };
  };
  return {
    before: (request) => {
      const event = request.event;
      const requestId = nonEmpty(event.requestContext?.requestId) ?? fallbackRequestId(request.context);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(event.headers ?? {})) {
        if (value !== undefined) headers[name.toLowerCase()] = value;
      }
      request.event = { ...event, [apiState]: { requestId, headers } };
      logger.appendKeys({ request_id: requestId, route: `${event.httpMethod} ${event.resource}` });
    },
    after: stamp,
    onError: stamp,
  };
}

function fallbackRequestId(context: Context): string {
  return nonEmpty(context.awsRequestId) ?? randomUUID();
}

function nonEmpty(value: string | undefined | null): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** Any error becomes an RFC 9457 problem; an unexpected one is logged (redacted) and answered as a bare 500. */
export function problemDetails(): ApiMiddleware {
  return {
    onError: (request) => {
      const requestId = request.event[apiState]?.requestId ?? fallbackRequestId(request.context);
      if (!isExpectedError(request.error)) logger.error('Request failed unexpectedly', { error: request.error });
      request.response = problemResponse(request.error, requestId);
    },
  };
}

export function resolveRoute(routes: readonly ApiRoute[]): ApiMiddleware {
  const byKey = new Map(routes.map((route) => [`${route.declaration.method} ${route.declaration.path}`, route]));
  return {
    before: ({ event }) => {
      const route = byKey.get(`${event.httpMethod} ${event.resource}`);
      if (route === undefined) throw routeNotFound(event.httpMethod, event.resource);
      stateOf(event).route = route;
    },
  };
}

const authorizerContext = z.discriminatedUnion('principal', [
  z.object({ principal: z.literal('admin') }),
  z.object({ principal: z.literal('merchant'), merchantId: z.string().min(1), keyId: z.string().min(1) }),
  z.object({
    principal: z.enum(sessionAuths),
    merchantId: z.string().min(1),
    sessionId: z.string().min(1),
    customerId: z.string().min(1).optional(),
  }),
]);

type Caller = Exclude<RouteAuth, 'none'>;

const forbiddenMessages: Record<Caller, string> = {
  admin: 'This route needs the admin key.',
  merchant: 'This route needs a merchant secret key (sk_...).',
  checkout_session: 'This route needs a checkout session token (cs_...).',
  portal_session: 'This route needs a wallet session token (ps_...).',
  console_session: 'This route needs a console session token (cons_...).',
};

function principalOf(caller: z.infer<typeof authorizerContext>): Principal {
  switch (caller.principal) {
    case 'admin':
      return { kind: 'admin' };
    case 'merchant':
      return { kind: 'merchant', merchantId: caller.merchantId, keyId: caller.keyId };
    default:
      return {
        kind: caller.principal,
        merchantId: caller.merchantId,
        sessionId: caller.sessionId,
        ...(caller.customerId === undefined ? {} : { customerId: caller.customerId }),
      };
  }
}

/** Who else may have called, as openapi.yaml says when it describes a 403. */
const forbiddenCallers: Record<Caller, string> = {
  admin: 'A merchant key: this route needs the admin key.',
  merchant: 'The admin key or a session token: this route needs a merchant secret key.',
  checkout_session: 'A secret key or another kind of session token: this route needs a checkout session token (`cs_...`).',
  portal_session: 'A secret key or another kind of session token: this route needs a wallet session token (`ps_...`).',
  console_session: 'A secret key or another kind of session token: this route needs a console session token (`cons_...`).',
};

/** The route's `auth` must match who the authorizer said the caller is. */
export const authentication: RequestStep = {
  middlewares: () => [authenticate()],
  refusals: (route) =>
    route.auth === 'none'
      ? []
      : [
          { status: 401, code: 'unauthenticated', when: 'No `Authorization: Bearer <key>`, or a key that is unknown or revoked.' },
          { status: 403, code: 'forbidden', when: forbiddenCallers[route.auth] },
        ],
};

function authenticate(): ApiMiddleware {
  return {
    before: ({ event }) => {
      const state = stateOf(event);
      const required = routeOf(state).declaration.auth;
      if (required === 'none') {
        state.principal = { kind: 'anonymous' };
        return;
      }
      const parsed = authorizerContext.safeParse(event.requestContext?.authorizer);
      if (!parsed.success) throw new AuthenticationError();
      const caller = parsed.data;
      if (caller.principal !== required) throw new ForbiddenError(forbiddenMessages[required]);
      state.principal = principalOf(caller);
    },
  };
}

const BODY_METHODS = new Set(['POST', 'PUT']);

function rawBodyOf(event: APIGatewayProxyEvent): string | undefined {
  if (!BODY_METHODS.has(event.httpMethod) || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * `application/json`, with no charset or UTF-8 (the only one RFC 8259 allows). Parsed here rather than with a
 * media-type library: this one comparison is all the API needs of one.
 */
function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [essence = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (essence !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value.replace(/"/g, '') === 'utf-8';
  });
}

/** Methods whose body the pipeline reads: only these can be too large, of the wrong media type, or bad JSON. */
const hasBody = (route: RouteDeclaration): boolean => BODY_METHODS.has(route.method);

const jsonMediaType: RequestStep = {
  middlewares: () => [requireJsonMediaType()],
  refusals: (route) =>
    hasBody(route)
      ? [{ status: 415, code: 'unsupported_media_type', when: 'The body is not sent as `Content-Type: application/json` (UTF-8).' }]
      : [],
};

function requireJsonMediaType(): ApiMiddleware {
  return {
    before: ({ event }) => {
      if (rawBodyOf(event) !== undefined && !isJsonMediaType(stateOf(event).headers['content-type'])) {
        throw unsupportedMediaType();
      }
    },
  };
}

const bodySize: RequestStep = {
  middlewares: () => [limitBodySize()],
  refusals: (route) =>
    hasBody(route) ? [{ status: 413, code: 'payload_too_large', when: `The body is over ${MAX_BODY_BYTES / 1024} KiB.` }] : [],
};

function limitBodySize(): ApiMiddleware {
  return {
    before: ({ event }) => {
      const body = rawBodyOf(event);
      if (body !== undefined && Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
    },
  };
}

/**
 * The body read as JSON, then path parameters, body and query checked against the route's declaration.
 * One step for the documentation: a client meets a bad field more often than bad JSON, so that comes first.
 */
export const input: RequestStep = {
  middlewares: () => [parseJsonBody(), validateInput()],
  refusals: (route) => [
    {
      status: 400,
      code: 'parameter_unknown',
      when: hasBody(route)
        ? 'A query parameter or body field the route does not take; `param` names it.'
        : 'A query parameter the route does not take; `param` names it.',
    },
    ...(route.query === undefined && route.body === undefined
      ? []
      : ([
          { status: 400, code: 'parameter_missing', when: 'A required field is missing; `param` names it.' },
          { status: 400, code: 'parameter_invalid', when: 'A field has the wrong type or is out of range; `param` names it.' },
        ] as const)),
    ...(hasBody(route)
      ? ([
          { status: 400, code: 'invalid_json', when: 'The body is not valid JSON, or has `__proto__` or `constructor.prototype` keys.' },
          { status: 400, code: 'invalid_request_body', when: 'The body is JSON but not an object.' },
        ] as const)
      : []),
  ],
};

/** JSON.parse that refuses `__proto__` and `constructor.prototype` keys instead of letting them through. */
function parseJsonBody(): ApiMiddleware {
  return {
    before: ({ event }) => {
      const raw = rawBodyOf(event);
      if (raw === undefined) return;
      let parsed: unknown;
      try {
        parsed = secureJsonParse.parse(raw, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch (error) {
        throw new InvalidRequestError(
          'invalid_json',
          error instanceof SyntaxError && /prototype|__proto__/i.test(error.message)
            ? 'The request body may not contain `__proto__` or `constructor.prototype` keys.'
            : 'The request body is not valid JSON.',
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new InvalidRequestError('invalid_request_body', 'The request body must be a JSON object.');
      }
      stateOf(event).body = parsed;
    },
  };
}

/**
 * Every other path parameter is an id (`{id}`, `{transaction_id}`): what cannot be one names nothing we store,
 * so it is a 404 before any handler runs. Also keeps an over-long value out of a DynamoDB key (which would
 * fail the lookup with a 500). The value is not echoed: it is the client's, of any length or content.
 */
function requireIdPathParameters(event: APIGatewayProxyEvent, route: RouteDeclaration): void {
  for (const [param, value] of Object.entries(event.pathParameters ?? {})) {
    if (isNotAnId(route, param) || (value !== undefined && isAnyId(value))) continue;
    throw new GatewayError('not_found', 'resource_missing', `No such resource: \`${param}\` is not an id this API issued.`, {
      param,
    });
  }
}

function isNotAnId(route: RouteDeclaration, param: string): boolean {
  const declared = route.pathParameters?.[param];
  return typeof declared === 'object' && declared.notAnId;
}

const noFields = z.strictObject({});

/** Path parameters (ids), then body and query against the route's schemas; without a schema, any field is unknown. */
function validateInput(): ApiMiddleware {
  return {
    before: ({ event }) => {
      const state = stateOf(event);
      const route = routeOf(state).declaration;
      requireIdPathParameters(event, route);
      const query = event.queryStringParameters ?? {};
      const parsedQuery = (route.query ?? noFields).safeParse(query);
      if (!parsedQuery.success) throw validationError(parsedQuery.error, query);
      state.query = route.query === undefined ? undefined : parsedQuery.data;
      if (BODY_METHODS.has(event.httpMethod)) {
        const body = state.body ?? {};
        const parsedBody = (route.body ?? noFields).safeParse(body);
        if (!parsedBody.success) throw validationError(parsedBody.error, body);
        state.body = route.body === undefined ? undefined : parsedBody.data;
      }
    },
  };
}

/**
 * A POST's Idempotency-Key, read here; the handler runs the route under it (functions/http/handler.ts),
 * which is where a key in use or reused is refused.
 */
export const idempotencyKey: RequestStep = {
  middlewares: () => [readIdempotencyKeyHeader()],
  refusals: (route) =>
    route.method === 'POST'
      ? [
          {
            status: 400,
            code: 'idempotency_key_invalid',
            when: `Idempotency-Key is not 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces.`,
          },
          { status: 409, code: 'idempotency_key_in_use', when: 'A request with this Idempotency-Key is still running; retry later.' },
          { status: 422, code: 'idempotency_key_reused', when: 'This Idempotency-Key was used with a different request.' },
        ]
      : [],
};

function readIdempotencyKeyHeader(): ApiMiddleware {
  return {
    before: ({ event }) => {
      if (event.httpMethod !== 'POST') return;
      const state = stateOf(event);
      const key = readIdempotencyKey(state.headers[IDEMPOTENCY_HEADER]);
      if (key !== undefined) state.idempotencyKey = key;
    },
  };
}

/** The steps that may refuse a request, in the order they run, after the route is resolved. */
export const requestSteps: readonly RequestStep[] = [authentication, jsonMediaType, bodySize, input, idempotencyKey];
