/**
 * What each route of lib/topology.ts takes and answers, for openapi.yaml (bin/openapi.ts). The request
 * schemas are the very objects the handlers validate with (test/contract checks that they are the same
 * objects); the response schemas are pinned to the domain's types in responses.ts.
 *
 * A route lists only the errors of its own logic. The refusals every route of its kind shares (the query
 * and body checks, the key, Idempotency-Key, the rate limit) come from `errorsOf`, which reads them off the
 * route's method and `auth` the way the request pipeline (functions/http/middlewares.ts) applies them.
 */
import * as z from 'zod';
import type { RouteSpec } from '../../lib/topology.ts';
import { listEventsQuery } from './events.ts';
import { createMerchantBody } from './merchants.ts';
import { cancelPaymentBody, capturePaymentBody, createPaymentBody, listTransactionsQuery, refundPaymentBody } from './payments.ts';
import {
  apiKeyResponse,
  createdRefundSchema,
  eventSchema,
  healthResponse,
  merchantResponse,
  revokedApiKeyResponse,
  transactionSchema,
} from './responses.ts';

export const tags = {
  health: { name: 'Health', description: 'Is the API up, and can it read its table?' },
  merchants: { name: 'Merchants', description: 'Operators create merchants with the admin key.' },
  apiKeys: { name: 'API keys', description: 'Merchants rotate their secret keys: make a new one, then revoke the old.' },
  payments: { name: 'Payments', description: 'Card payments: create, read, capture, cancel, refund.' },
  transactions: { name: 'Transactions', description: "The caller's transactions, newest first." },
  events: { name: 'Events', description: "What happened to the caller's resources, newest first." },
} as const;

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
}

export interface RouteContract {
  /** Unique across the API: a client generator's method name. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: (typeof tags)[keyof typeof tags];
  /** Every `{name}` of the route's path, described. */
  readonly pathParameters?: Readonly<Record<string, string>>;
  /** The handler's body schema; a route without one takes no body fields. */
  readonly body?: z.ZodType;
  /** The handler's query schema; a route without one takes no query parameters. */
  readonly query?: z.ZodType;
  readonly success: SuccessResponse;
  /** The refusals of this route's own logic; see `errorsOf` for the ones every route of its kind shares. */
  readonly errors?: readonly ErrorCase[];
}

const transactionIdParameter = { transaction_id: 'The transaction, `txn_...`.' };

const notFound = (what: string, param: string): ErrorCase => ({
  status: 404,
  code: 'resource_missing',
  when: `No such ${what} for the caller: it does not exist, or another merchant owns it (\`param\`: \`${param}\`).`,
});

const invalidAmount: ErrorCase = {
  status: 400,
  code: 'invalid_amount',
  when: 'The amount is not a whole number of minor units within what this transaction allows.',
};

const stateInvalid = (allowed: string): ErrorCase => ({
  status: 409,
  code: 'transaction_state_invalid',
  when: `The transaction's status does not allow this: only ${allowed}.`,
});

const transactionBusy: ErrorCase = {
  status: 409,
  code: 'transaction_busy',
  when: 'Other requests kept changing the transaction at the same moment; retry.',
};

/** Keyed `METHOD path`, exactly as lib/topology.ts names its routes. */
export const routeContracts: Readonly<Record<string, RouteContract>> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Check that the API and its table answer',
    tag: tags.health,
    success: { status: 200, description: 'The API answers and its table can be read.', schema: healthResponse },
    errors: [{ status: 503, code: 'service_unavailable', when: 'The table cannot be read.' }],
  },
  'POST /merchants': {
    operationId: 'createMerchant',
    summary: 'Create a merchant and its first secret key',
    description: 'For operators, with the admin key. The secret key is in this response only: the gateway keeps its hash.',
    tag: tags.merchants,
    body: createMerchantBody,
    success: { status: 201, description: 'The merchant, with its first secret key.', schema: merchantResponse },
    errors: [{ status: 400, code: 'invalid_currency', when: '`default_currency` is not a supported ISO 4217 code.' }],
  },
  'POST /api_keys': {
    operationId: 'createApiKey',
    summary: 'Make a new secret key for the caller',
    description: 'Keys made before it keep working until they are revoked. The secret is in this response only.',
    tag: tags.apiKeys,
    success: { status: 201, description: 'The new key.', schema: apiKeyResponse },
  },
  'DELETE /api_keys/{id}': {
    operationId: 'revokeApiKey',
    summary: "Revoke one of the caller's secret keys",
    description: 'Its next use is a 401. Revoking a revoked key answers the time it was first revoked.',
    tag: tags.apiKeys,
    pathParameters: { id: 'The key, `key_...`.' },
    success: { status: 200, description: 'The key is revoked.', schema: revokedApiKeyResponse },
    errors: [notFound('API key', 'id')],
  },
  'POST /payments': {
    operationId: 'createPayment',
    summary: 'Start a card payment',
    description:
      'Checks the card and answers at once with a `pending` transaction; authorization (and, with `capture: true`, ' +
      'capture) follow behind a queue. Follow the transaction with GET /payments/{transaction_id} or the events.',
    tag: tags.payments,
    body: createPaymentBody,
    success: { status: 201, description: 'The transaction, `pending`.', schema: transactionSchema },
    errors: [
      { status: 400, code: 'invalid_currency', when: '`currency` is not a supported ISO 4217 code.' },
      { status: 400, code: 'invalid_amount', when: "`amount` is not a positive whole number of the currency's minor units." },
      { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
      { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
      { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
      { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
    ],
  },
  'GET /payments/{transaction_id}': {
    operationId: 'getPayment',
    summary: 'Read a transaction and its current status',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    success: { status: 200, description: 'The transaction.', schema: transactionSchema },
    errors: [notFound('transaction', 'transaction_id')],
  },
  'POST /payments/{transaction_id}/capture': {
    operationId: 'capturePayment',
    summary: 'Capture an authorized transaction',
    description: 'All of it, or with `amount` part of it; the rest of the authorization is released.',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: capturePaymentBody,
    success: { status: 200, description: 'The transaction, `captured`.', schema: transactionSchema },
    errors: [invalidAmount, notFound('transaction', 'transaction_id'), stateInvalid('an `authorized` transaction can be captured'), transactionBusy],
  },
  'POST /payments/{transaction_id}/cancel': {
    operationId: 'cancelPayment',
    summary: 'Void a pending or authorized transaction',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: cancelPaymentBody,
    success: { status: 200, description: 'The transaction, `canceled`.', schema: transactionSchema },
    errors: [
      notFound('transaction', 'transaction_id'),
      stateInvalid('a `pending` or `authorized` transaction can be canceled'),
      transactionBusy,
    ],
  },
  'POST /payments/{transaction_id}/refunds': {
    operationId: 'refundPayment',
    summary: 'Refund a captured or settled transaction',
    description: 'All that is left of it, or with `amount` part of it. A fully refunded transaction becomes `refunded`.',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: refundPaymentBody,
    success: { status: 201, description: 'The refund, `re_...`, with the transaction after it.', schema: createdRefundSchema },
    errors: [
      invalidAmount,
      notFound('transaction', 'transaction_id'),
      stateInvalid('a `captured` or `settled` transaction with money left to refund can be refunded'),
      transactionBusy,
    ],
  },
  'GET /transactions': {
    operationId: 'listTransactions',
    summary: "List the caller's transactions, newest first",
    tag: tags.transactions,
    query: listTransactionsQuery,
    success: {
      status: 200,
      description: 'One page of transactions, newest first.',
      schema: z.array(transactionSchema),
      paginated: true,
    },
    errors: [notFound('merchant', 'merchant_id')],
  },
  'GET /events': {
    operationId: 'listEvents',
    summary: "List the caller's events, newest first",
    tag: tags.events,
    query: listEventsQuery,
    success: { status: 200, description: 'One page of events, newest first.', schema: z.array(eventSchema), paginated: true },
  },
  'GET /events/{id}': {
    operationId: 'getEvent',
    summary: 'Read one event',
    tag: tags.events,
    pathParameters: { id: 'The event, `evt_...`.' },
    success: { status: 200, description: 'The event.', schema: eventSchema },
    errors: [notFound('event', 'id')],
  },
};

export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function contractOf(route: RouteSpec): RouteContract {
  const contract = routeContracts[routeKey(route)];
  if (contract === undefined) throw new Error(`${routeKey(route)} has no entry in functions/contract/routes.ts`);
  return contract;
}

/** Methods whose body the pipeline reads: only these can be too large, of the wrong media type, or bad JSON. */
const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT']);

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Every refusal a route can answer with, in the order of the status codes: its kind's, then its own. */
export function errorsOf(route: RouteSpec, contract: RouteContract): ErrorCase[] {
  const cases: ErrorCase[] = [
    {
      status: 400,
      code: 'parameter_unknown',
      when: bodyMethods.has(route.method)
        ? 'A query parameter or body field the route does not take; `param` names it.'
        : 'A query parameter the route does not take; `param` names it.',
    },
  ];
  if (contract.query !== undefined || contract.body !== undefined) {
    cases.push(
      { status: 400, code: 'parameter_missing', when: 'A required field is missing; `param` names it.' },
      { status: 400, code: 'parameter_invalid', when: 'A field has the wrong type or is out of range; `param` names it.' },
    );
  }
  if (bodyMethods.has(route.method)) {
    cases.push(
      { status: 400, code: 'invalid_json', when: 'The body is not valid JSON, or has `__proto__` or `constructor.prototype` keys.' },
      { status: 400, code: 'invalid_request_body', when: 'The body is JSON but not an object.' },
      { status: 413, code: 'payload_too_large', when: 'The body is over 64 KiB.' },
      { status: 415, code: 'unsupported_media_type', when: 'The body is not sent as `Content-Type: application/json` (UTF-8).' },
    );
  }
  if (route.method === 'POST') {
    cases.push(
      {
        status: 400,
        code: 'idempotency_key_invalid',
        when: `Idempotency-Key is not 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces.`,
      },
      { status: 409, code: 'idempotency_key_in_use', when: 'A request with this Idempotency-Key is still running; retry later.' },
      { status: 422, code: 'idempotency_key_reused', when: 'This Idempotency-Key was used with a different request.' },
    );
  }
  if (route.auth !== 'none') {
    cases.push(
      { status: 401, code: 'unauthenticated', when: 'No `Authorization: Bearer <key>`, or a key that is unknown or revoked.' },
      {
        status: 403,
        code: 'forbidden',
        when: route.auth === 'admin' ? 'A merchant key: this route needs the admin key.' : 'The admin key: this route needs a merchant secret key.',
      },
    );
  }
  cases.push({ status: 429, code: 'rate_limited', when: 'Too many requests; retry after `Retry-After` seconds.' });
  cases.push(...(contract.errors ?? []));
  return cases.sort((a, b) => a.status - b.status);
}
