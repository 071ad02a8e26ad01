/** Hosted-page sessions in memory, with the conditions of the DynamoDB store, for handlers built without a table. */
import { SESSION_LIFETIME_SECONDS } from '../../../functions/hosted/session.ts';
import { NotFoundError, StateConflictError } from '../../../functions/core/errors.ts';
import type { NewSession, Sessions, StoredSession } from '../../../functions/hosted/ports.ts';
import type { IssuedSession, Session, SessionKind } from '../../../functions/hosted/session.ts';

/** Sessions whose lifetime and end are told by `clock`; a session's token is `token_<id>`. */
export class MemorySessions implements Sessions {
  private readonly stored = new Map<string, StoredSession>();

  constructor(private readonly clock: () => Date) {}

  async create(input: NewSession): Promise<IssuedSession> {
    const now = this.clock();
    const session: Session = {
      ...input,
      attempts: 0,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000).toISOString(),
    };
    this.stored.set(session.id, session);
    return { session, token: `token_${session.id}` };
  }

  async getOwned(merchantId: string, sessionId: string): Promise<StoredSession | undefined> {
    const session = this.stored.get(sessionId);
    return session?.merchantId === merchantId ? session : undefined;
  }

  async end(merchantId: string, kind: SessionKind, sessionId: string): Promise<{ id: string; endedAt: string }> {
    const session = await this.getOwned(merchantId, sessionId);
    if (session?.kind !== kind) throw new NotFoundError(`${kind} session`, sessionId, 'id');
    const endedAt = session.endedAt ?? this.clock().toISOString();
    this.stored.set(sessionId, { ...session, endedAt });
    return { id: sessionId, endedAt };
  }

  async claimPayment(session: Session, previous: string | undefined, transactionId: string): Promise<void> {
    const current = this.stored.get(session.id);
    if (current === undefined || current.transactionId !== previous || current.endedAt !== undefined) {
      throw new StateConflictError('checkout_payment_in_progress', 'Another payment for this checkout was just made; follow it instead.');
    }
    this.stored.set(session.id, { ...current, transactionId, claimedAt: this.clock().toISOString(), attempts: current.attempts + 1 });
  }
}
