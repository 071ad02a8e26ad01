/**
 * What the hosted pages' functions (sessions, checkout, wallet, console) need from the outside world. The
 * DynamoDB stores and repositories under functions/adapters/ implement these; tests hand in their own or a
 * local table. What a session is lives in ./session.ts.
 */
import type { Merchant } from '../core/merchant.ts';
import type { TransactionList, Transactions } from '../payments/ports.ts';
import type { RecordedEvent } from '../webhooks/ports.ts';
import type { CheckoutTerms, IssuedSession, Session, SessionKind } from './session.ts';

/** A session as read by its id: active or not, with when it was ended if it was. */
export type StoredSession = Session & { readonly endedAt?: string };

export interface NewSession {
  readonly id: string;
  readonly kind: SessionKind;
  readonly merchantId: string;
  readonly customerId?: string;
  readonly checkout?: CheckoutTerms;
}

export interface Sessions {
  /** A new session and its bearer token, which only this answer holds; it lives SESSION_LIFETIME_SECONDS. */
  create(session: NewSession): Promise<IssuedSession>;
  /** The merchant's session by id, active or not; undefined for another merchant's, as for an unknown one. */
  getOwned(merchantId: string, sessionId: string): Promise<StoredSession | undefined>;
  /**
   * Ends one of the merchant's sessions of a kind; another's, or one of another kind, is a NotFoundError.
   * Ending an ended session again answers the time it was first ended.
   */
  end(merchantId: string, kind: SessionKind, sessionId: string): Promise<{ id: string; endedAt: string }>;
  /**
   * Records `transactionId` as the checkout's payment if its payment is still `previous` and it is active
   * with attempts left; otherwise a StateConflictError (another payment won).
   */
  claimPayment(session: Session, previous: string | undefined, transactionId: string): Promise<void>;
}

export interface Merchants {
  getMerchant(merchantId: string): Promise<Merchant | undefined>;
  /** The currency a checkout charges when its merchant names none. */
  defaultCurrencyOf(merchantId: string): Promise<string>;
}

/** The transactions the pages show: a merchant's (or one customer's) newest first, and one by id. */
export interface TransactionReader extends Pick<Transactions, 'getOwned'>, TransactionList {}

/** One transaction's events, for the console's timeline. */
export interface EventTimelines {
  /** Oldest first; `complete: false` when a very busy merchant's timeline was cut short. */
  timelineOf(merchantId: string, transactionId: string, createdAt: string): Promise<{ events: RecordedEvent[]; complete: boolean }>;
}
