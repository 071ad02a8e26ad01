/**
 * What a route is, declared once in its capability's `routes.ts`: method, path, the function that serves it,
 * who may call it, what it takes and answers, and the refusals of its own logic. Plain data: lib/topology.ts
 * (and so the CDK app) reads it without loading a handler or an SDK client; the handler serves it
 * (`defineRoute`); lib/openapi.ts documents it.
 */
import * as z from 'zod';
import type { RouteSpec } from '../../lib/topology.ts';

export interface ApiTag {
  readonly name: string;
  readonly description: string;
}

export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** One refusal a route may answer with: its status, the problem's `code`, and when it happens. */
export interface ErrorCase {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly when: string;
}

export interface SuccessResponse {
  readonly status: 200 | 201;
  readonly description: string;
  readonly schema: z.ZodType;
  /** A page of a list: a JSON array, `limit` and `starting_after` in, the next page in a `Link` header. */
  readonly paginated?: true;
  /** Not JSON: the hosted pages' files. */
  readonly mediaType?: string;
}

/** A `{name}` of the route's path. An id (`{id}`, `{transaction_id}`) unless it says otherwise. */
export type PathParameter = string | { readonly description: string; readonly notAnId: true };

/** What lib/topology.ts needs of a route (method, path, function, auth), and what the API promises of it. */
export interface RouteDeclaration extends RouteSpec {
  /** Unique across the API: a client generator's method name. The key the route is declared under. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: ApiTag;
  /** Every `{name}` of the path, described. */
  readonly pathParameters?: Readonly<Record<string, PathParameter>>;
  /** A strict object schema (unknown fields are refused): the request body. None: the route takes no body fields. */
  readonly body?: z.ZodType;
  /** A strict object schema over the query string's values (strings; use z.coerce for numbers). None: no parameters. */
  readonly query?: z.ZodType;
  readonly success: SuccessResponse;
  /** The refusals of this route's own logic; those every route of its kind shares come from the request pipeline. */
  readonly errors?: readonly ErrorCase[];
  /**
   * The response holds a secret (an API key, a session token): its Idempotency-Key record keeps the body sealed
   * with KMS (functions/idempotency/sealed-responses.ts). The route's function needs topology access `idempotentResponses`.
   */
  readonly secretInResponse?: true;
}

/**
 * A capability's routes, keyed by operationId; declaration order is the order of openapi.yaml. Fails at
 * load, and so at synth and cold start, on a body or query schema that would let unknown fields through.
 */
export function declareRoutes<const Routes extends Record<string, Omit<RouteDeclaration, 'operationId'>>>(
  routes: Routes,
): { readonly [Id in keyof Routes]: Routes[Id] & { readonly operationId: Id } } {
  const declared: Record<string, RouteDeclaration> = {};
  for (const [operationId, route] of Object.entries(routes)) {
    for (const [part, schema] of [['body', route.body], ['query', route.query]] as const) {
      if (schema !== undefined && !rejectsUnknownFields(schema)) {
        throw new Error(`${route.method} ${route.path}: the ${part} schema must be a z.strictObject`);
      }
    }
    declared[operationId] = { ...route, operationId };
  }
  return declared as { readonly [Id in keyof Routes]: Routes[Id] & { readonly operationId: Id } };
}

function rejectsUnknownFields(schema: z.ZodType): boolean {
  return schema instanceof z.ZodObject && schema.def.catchall instanceof z.ZodNever;
}

export const notFound = (what: string, param: string): ErrorCase => ({
  status: 404,
  code: 'resource_missing',
  when: `No such ${what} for the caller: it does not exist, or another merchant owns it (\`param\`: \`${param}\`).`,
});

/** The checks POST /payments makes of a card, wherever a card is typed in. */
export const cardRefusals: readonly ErrorCase[] = [
  { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
  { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
  { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
  { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
];

export const invalidCurrency = (field: string): ErrorCase => ({
  status: 400,
  code: 'invalid_currency',
  when: `\`${field}\` is not a supported ISO 4217 code.`,
});

export const invalidNewAmount: ErrorCase = {
  status: 400,
  code: 'invalid_amount',
  when: "`amount` is not a positive whole number of the currency's minor units.",
};
