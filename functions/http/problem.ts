/**
 * RFC 9457 problem details: how every error leaves the API. A GatewayError's kind picks the status; an
 * HttpError is a refusal that only the HTTP layer knows (media type, size, unknown route, store down);
 * anything else is a 500 whose detail says nothing about its cause.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { GatewayError, RateLimitError, type ErrorKind } from '../core/errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://docs.payment-gateway.dev/errors/';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly param?: string;
  readonly decline_code?: string;
  readonly request_id: string;
}

const statusOfKind: Readonly<Record<ErrorKind, { status: number; title: string }>> = {
  invalid_request: { status: 400, title: 'Invalid request' },
  card: { status: 402, title: 'Card error' },
  authentication: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_in_use: { status: 409, title: 'Idempotency key in use' },
  idempotency_reused: { status: 422, title: 'Idempotency key reused' },
  rate_limit: { status: 429, title: 'Too many requests' },
};

/** A refusal decided by the HTTP layer itself, with a status the domain's kinds do not cover. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const unsupportedMediaType = (): HttpError =>
  new HttpError(415, 'unsupported_media_type', 'Unsupported media type', 'Send the request body as `Content-Type: application/json` (UTF-8).');

export const payloadTooLarge = (limitBytes: number): HttpError =>
  new HttpError(413, 'payload_too_large', 'Payload too large', `The request body must be at most ${limitBytes} bytes.`);

export const routeNotFound = (method: string, resource: string): HttpError =>
  new HttpError(404, 'route_not_found', 'Not found', `No route for ${method} ${resource}.`);

export const serviceUnavailable = (detail: string): HttpError =>
  new HttpError(503, 'service_unavailable', 'Service unavailable', detail);

/** The problem's `type`: a stable URL per `code`, for handlers and API Gateway's own answers alike. */
export function problemType(code: string): string {
  return `${PROBLEM_TYPE_BASE}${code}`;
}

/** True for errors whose message is written for the caller; the rest are bugs or outages. */
export function isExpectedError(error: unknown): error is GatewayError | HttpError {
  return error instanceof GatewayError || error instanceof HttpError;
}

export function problemOf(error: unknown, requestId: string): Problem {
  if (error instanceof GatewayError) {
    const { status, title } = statusOfKind[error.kind];
    return {
      type: problemType(error.code),
      title,
      status,
      detail: error.message,
      code: error.code,
      ...(error.param === undefined ? {} : { param: error.param }),
      ...(error.declineCode === undefined ? {} : { decline_code: error.declineCode }),
      request_id: requestId,
    };
  }
  if (error instanceof HttpError) {
    return { type: problemType(error.code), title: error.title, status: error.status, detail: error.message, code: error.code, request_id: requestId };
  }
  return {
    type: problemType('internal_error'),
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side. Retry later, and quote the request id if it keeps happening.',
    code: 'internal_error',
    request_id: requestId,
  };
}

export function problemResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  const problem = problemOf(error, requestId);
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE };
  if (error instanceof RateLimitError) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return { statusCode: problem.status, headers, body: JSON.stringify(problem) };
}
