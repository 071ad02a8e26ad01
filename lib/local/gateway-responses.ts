/**
 * The answers API Gateway gives on its own, before or instead of a handler, as RFC 9457 problem details.
 * Bodies, titles and codes follow the gateway responses of the cloud API (lib/constructs/gateway-api.ts),
 * so a client sees the same problem locally and in the cloud.
 */
import { problemType } from '../../functions/http/problem.ts';

export interface GatewayProblem {
  readonly status: number;
  readonly title: string;
  readonly code: string;
  readonly detail: string;
}

export const gatewayProblems = {
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    code: 'unauthenticated',
    detail: 'A valid API key is required: send `Authorization: Bearer <key>`.',
  },
  /** The authorizer's policy denies the method, or does not allow it. */
  accessDenied: { status: 403, title: 'Forbidden', code: 'forbidden', detail: 'This API key may not call this endpoint.' },
  routeNotFound: { status: 404, title: 'Not Found', code: 'route_not_found', detail: 'No such endpoint: check the method and path.' },
  /** Not in the cloud API, where a known path with a method it lacks is answered like an unknown path (404). */
  methodNotAllowed: {
    status: 405,
    title: 'Method Not Allowed',
    code: 'method_not_allowed',
    detail: 'This endpoint does not accept this method; the Allow header lists the ones it does.',
  },
  /** Over the merchant's token bucket (lib/local/rate-limit.ts); sent with `Retry-After`. */
  rateLimited: {
    status: 429,
    title: 'Too Many Requests',
    code: 'rate_limited',
    detail: 'Too many requests for this merchant; slow down and retry after the given delay.',
  },
  requestTooLarge: { status: 413, title: 'Content Too Large', code: 'request_too_large', detail: 'The request body is too large.' },
  /** The authorizer failed or answered with something API Gateway cannot use. */
  authorizerFailure: {
    status: 500,
    title: 'Internal Server Error',
    code: 'internal_error',
    detail: 'Something went wrong on our side; retry with the same Idempotency-Key.',
  },
  /** The handler threw, timed out or returned a malformed proxy result. */
  integrationFailure: { status: 502, title: 'Bad Gateway', code: 'internal_error', detail: 'Internal server error' },
} as const satisfies Record<string, GatewayProblem>;

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function gatewayResponse(problem: GatewayProblem, requestId: string, headers: Record<string, string> = {}): RawResponse {
  return {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify({
      type: problemType(problem.code),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      request_id: requestId,
    }),
  };
}
