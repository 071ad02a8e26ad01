/**
 * What a route module writes: `defineRoute({ method, path, body?, query?, handle })`. The route's caller
 * (`auth`) is not repeated here: it comes from lib/topology.ts, looked up when the module loads, so a route
 * that the topology does not know fails the cold start instead of a request.
 */
import * as z from 'zod';
import { routes as topologyRoutes, type HttpMethod, type RouteSpec, type SessionAuth } from '../../lib/topology.ts';
import { AuthenticationError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';

export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'admin' }
  | MerchantPrincipal
  | SessionPrincipal;

/**
 * The holder of a hosted-page session token: scoped to one merchant and one session, and for a wallet
 * (portal) session to one customer. See functions/adapters/session-store.ts.
 */
export interface SessionPrincipal {
  readonly kind: SessionAuth;
  readonly merchantId: string;
  readonly sessionId: string;
  /** Only for `portal_session`: the customer whose wallet this is. */
  readonly customerId?: string;
}

export interface MerchantPrincipal {
  readonly kind: 'merchant';
  readonly merchantId: string;
  readonly keyId: string;
}

/** Where the request was sent, as the client saw it: what a `Link` header to another page is built from. */
export interface RequestLocation {
  /** `https://host` when the request says how it was reached (API Gateway always does); else relative links. */
  readonly origin: string | undefined;
  readonly path: string;
  /** Every query parameter as sent, validated or not. */
  readonly query: Readonly<Record<string, string>>;
}

export interface ApiRequest<Body = unknown, Query = unknown> {
  readonly principal: Principal;
  readonly requestId: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Query;
  readonly body: Body;
  readonly idempotencyKey: string | undefined;
  readonly location: RequestLocation;
  /** Makes the ids of what the request creates; a retried request gets the same ids again. */
  newId(kind: IdKind): string;
}

export interface ApiResult {
  readonly status: number;
  /** Serialized as compact JSON. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Output<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

export interface RouteDefinition<BodySchema extends z.ZodType | undefined, QuerySchema extends z.ZodType | undefined> {
  readonly method: HttpMethod;
  readonly path: string;
  /** A strict object schema (unknown fields are refused): the request body. */
  readonly body?: BodySchema;
  /** A strict object schema over the query string's values (strings; use z.coerce for numbers). */
  readonly query?: QuerySchema;
  /**
   * The response holds a secret (an API key, a session token): its Idempotency-Key record keeps the body
   * sealed with KMS (functions/http/sealed-responses.ts). The route's function needs topology access
   * `idempotentResponses`.
   */
  readonly secretInResponse?: boolean;
  readonly handle: (request: ApiRequest<Output<BodySchema>, Output<QuerySchema>>) => Promise<ApiResult>;
}

export interface ApiRoute {
  readonly spec: RouteSpec;
  readonly body: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  /** See RouteDefinition; absent means false. */
  readonly secretInResponse?: boolean;
  readonly handle: (request: ApiRequest) => Promise<ApiResult>;
}

export function defineRoute<
  BodySchema extends z.ZodType | undefined = undefined,
  QuerySchema extends z.ZodType | undefined = undefined,
>(definition: RouteDefinition<BodySchema, QuerySchema>): ApiRoute {
  const spec = topologyRoutes.find((route) => route.method === definition.method && route.path === definition.path);
  if (spec === undefined) throw new Error(`${definition.method} ${definition.path} is not a route of lib/topology.ts`);
  for (const [part, schema] of [['body', definition.body], ['query', definition.query]] as const) {
    if (schema !== undefined && !rejectsUnknownFields(schema)) {
      throw new Error(`${definition.method} ${definition.path}: the ${part} schema must be a z.strictObject`);
    }
  }
  return {
    spec,
    body: definition.body,
    query: definition.query,
    secretInResponse: definition.secretInResponse === true,
    // The pipeline validated body and query with these very schemas before calling the route.
    handle: (request) => definition.handle(request as ApiRequest<Output<BodySchema>, Output<QuerySchema>>),
  };
}

function rejectsUnknownFields(schema: z.ZodType): boolean {
  return schema instanceof z.ZodObject && schema.def.catchall instanceof z.ZodNever;
}

/** The session of a session route, of the kind the route needs (the pipeline has checked it already). */
export function sessionOf(request: ApiRequest<unknown, unknown>, kind: SessionAuth): SessionPrincipal {
  if (request.principal.kind !== kind) throw new AuthenticationError();
  return request.principal as SessionPrincipal;
}

/** The calling merchant of a merchant route (the pipeline has checked the principal already). */
export function merchantOf(request: ApiRequest<unknown, unknown>): MerchantPrincipal {
  if (request.principal.kind !== 'merchant') throw new AuthenticationError();
  return request.principal;
}
