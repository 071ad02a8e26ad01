/**
 * Hosted-page sessions: short-lived tokens that let a browser do one thing for one merchant (pay one
 * checkout, manage one customer's wallet, watch the merchant's transactions) without its secret key. What a
 * session is, how long it lives and what its token looks like; functions/adapters/session-store.ts keeps them.
 *
 * Like API keys (functions/merchants/secret-keys.ts), a token is shown once and stored only as its SHA-256:
 * the authorizer finds a session by hashing what the browser sent. A token carries 256 bits from the CSPRNG,
 * so a fast hash is enough.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionAuth } from '../../lib/topology.ts';

export const sessionKinds = ['checkout', 'portal', 'console'] as const;
export type SessionKind = (typeof sessionKinds)[number];

/** 30 minutes: long enough to type a card, short enough that a leaked link soon stops working. */
export const SESSION_LIFETIME_SECONDS = 30 * 60;
const TOKEN_BYTES = 32;
/**
 * Payment attempts one checkout allows. A leaked link must not become a way to test stolen cards one after
 * another; a customer whose cards are declined this often is asked for a new link.
 */
export const MAX_CHECKOUT_ATTEMPTS = 5;

/** Token prefixes: the authorizer tells a session token from a secret key (`sk_`) by them. */
export const sessionTokenPrefixes: Readonly<Record<SessionKind, string>> = {
  checkout: 'cs_',
  portal: 'ps_',
  console: 'cons_',
};

/** The route `auth` (`RouteAuth`, lib/topology.ts) that each kind of session may call. */
export const sessionAuthOf: Readonly<Record<SessionKind, SessionAuth>> = {
  checkout: 'checkout_session',
  portal: 'portal_session',
  console: 'console_session',
};

/** What a checkout session charges: an order, or an amount in a currency. */
export interface CheckoutTerms {
  readonly amount: number;
  readonly currency: string;
  readonly orderId?: string;
  readonly customerId?: string;
  readonly description?: string;
  readonly returnUrl?: string;
}

export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  readonly merchantId: string;
  /** Portal sessions: the customer; checkout sessions: the customer the payment is recorded for, if any. */
  readonly customerId?: string;
  readonly checkout?: CheckoutTerms;
  /** The checkout's latest payment attempt. */
  readonly transactionId?: string;
  /** When that attempt was claimed (ISO 8601 UTC): its transaction is created just after. */
  readonly claimedAt?: string;
  /** Payment attempts claimed so far. */
  readonly attempts: number;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface IssuedSession {
  readonly session: Session;
  /** The bearer token: in this answer only. */
  readonly token: string;
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `cs_`/`ps_`/`cons_` and 32 random bytes in base64url (43 characters, 256 bits). */
export function generateSessionToken(kind: SessionKind): string {
  return `${sessionTokenPrefixes[kind]}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

/** The kind a token claims by its prefix; undefined for anything else (e.g. a secret key). */
export function sessionKindOfToken(token: string): SessionKind | undefined {
  const kinds = Object.keys(sessionTokenPrefixes) as SessionKind[];
  return kinds.find((kind) => token.startsWith(sessionTokenPrefixes[kind]) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(sessionTokenPrefixes[kind].length)));
}

/** A session is usable until it expires or is ended, whichever comes first. */
export function isActive(item: { readonly expiresAt: string; readonly endedAt?: string | undefined }, now: Date): boolean {
  return item.endedAt === undefined && Date.parse(item.expiresAt) > now.getTime();
}
