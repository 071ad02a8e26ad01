/**
 * The session a page's request runs under, read fresh. API Gateway caches the authorizer's answer (up to
 * 60 s), so a session ended or expired since then still reaches the handler: every
 * session route asks the table again (one read) before it reads or writes anything.
 */
import type { SessionAuth } from '../../lib/topology.ts';
import { AuthenticationError } from '../core/errors.ts';
import { sessionOf, type ApiRequest } from '../http/route.ts';
import type { Sessions } from './ports.ts';
import { isActive, sessionAuthOf, type Session } from './session.ts';

export async function activeSessionOf(
  sessions: Pick<Sessions, 'getOwned'>,
  request: ApiRequest<unknown, unknown>,
  auth: SessionAuth,
  now: Date,
): Promise<Session> {
  const principal = sessionOf(request, auth);
  const session = await sessions.getOwned(principal.merchantId, principal.sessionId);
  if (session === undefined || sessionAuthOf[session.kind] !== auth || !isActive(session, now)) throw new AuthenticationError();
  return session;
}
