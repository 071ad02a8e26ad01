/**
 * What a handler serves: `defineRoute(declaration, handle)`, and the request and result a route's `handle`
 * deals in. Method, path, caller and schemas come from the declaration alone.
 */
import type * as z from 'zod';
import type { SessionAuth } from '../../lib/topology.ts';
import { AuthenticationError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import type { RouteDeclaration } from './route-declaration.ts';

export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'admin' }
  | MerchantPrincipal
  | SessionPrincipal;

/**
 * The holder of a hosted-page session token: scoped to one merchant and one session, and for a wallet
 * (portal) session to one customer. See functions/hosted/session.ts.
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

/** A route as its handler serves it: the declaration, and what answers it. */
export interface ApiRoute {
  readonly declaration: RouteDeclaration;
  readonly handle: (request: ApiRequest) => Promise<ApiResult>;
}

/**
 * Serves a declared route (functions/<capability>/routes.ts): `handle` receives the body and query as the
 * declaration's schemas parse them.
 */
export function defineRoute<const Declared extends RouteDeclaration>(
  declaration: Declared,
  handle: (request: ApiRequest<Output<Declared['body']>, Output<Declared['query']>>) => Promise<ApiResult>,
): ApiRoute {
  return {
    declaration,
    // The pipeline validated body and query with these very schemas before calling the route.
    handle: (request) => handle(request as ApiRequest<Output<Declared['body']>, Output<Declared['query']>>),
  };
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
