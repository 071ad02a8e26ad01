/**
 * The answers API Gateway gives on its own, before or instead of a handler, as RFC 9457 problem details:
 * the cloud's own (lib/gateway-problems.ts), and those only the local stand-in gives.
 */
import { problemType } from '../../functions/http/problem.ts';
import { gatewayProblems as cloudGatewayProblems, type GatewayProblem } from '../gateway-problems.ts';

export type { GatewayProblem };

export const gatewayProblems = {
  ...cloudGatewayProblems,
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
