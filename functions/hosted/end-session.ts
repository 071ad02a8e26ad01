/**
 * Ending a hosted-page session, as the merchant's DELETE /{kind}_sessions/{id} and each page's own log-out
 * answer it: the session's id and when it was ended (the first time, if it was ended before).
 */
import type * as z from 'zod';
import type { endedSessionResponse } from '../contract/sessions.ts';
import type { Sessions } from './ports.ts';
import type { SessionKind } from './session.ts';

export async function endSession(
  sessions: Pick<Sessions, 'end'>,
  session: { readonly merchantId: string; readonly kind: SessionKind; readonly id: string },
): Promise<z.infer<typeof endedSessionResponse>> {
  const ended = await sessions.end(session.merchantId, session.kind, session.id);
  return { id: ended.id, ended: true, ended_at: ended.endedAt };
}
