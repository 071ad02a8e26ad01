/**
 * The problems API Gateway answers on its own, before or instead of a handler, as RFC 9457 details: one
 * source for the cloud's gateway responses (lib/constructs/gateway-api.ts) and for the local runtime's
 * stand-in (lib/local/gateway-responses.ts), so a client sees the same problem in both.
 */
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
  /** The authorizer's policy denies the method, or the caller lacks what the route requires. */
  accessDenied: { status: 403, title: 'Forbidden', code: 'forbidden', detail: 'This API key may not call this endpoint.' },
  routeNotFound: { status: 404, title: 'Not Found', code: 'route_not_found', detail: 'No such endpoint: check the method and path.' },
  requestTooLarge: { status: 413, title: 'Content Too Large', code: 'request_too_large', detail: 'The request body is too large.' },
  /** The authorizer failed or answered with something API Gateway cannot use. */
  authorizerFailure: {
    status: 500,
    title: 'Internal Server Error',
    code: 'internal_error',
    detail: 'Something went wrong on our side; retry with the same Idempotency-Key.',
  },
} as const satisfies Record<string, GatewayProblem>;
