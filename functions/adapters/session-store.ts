/**
 * Hosted-page sessions (functions/hosted/session.ts) in DynamoDB, found by the SHA-256 of their token.
 * DynamoDB's TTL deletes expired items eventually (and dynalite never does), so an expired or ended session
 * is treated as absent here, whatever is still in the table.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { NotFoundError, StateConflictError } from '../core/errors.ts';
import {
  generateSessionToken,
  hashSessionToken,
  isActive,
  MAX_CHECKOUT_ATTEMPTS,
  SESSION_LIFETIME_SECONDS,
  sessionKinds,
  type CheckoutTerms,
  type IssuedSession,
  type Session,
  type SessionKind,
} from '../hosted/session.ts';
import type { NewSession, Sessions, StoredSession } from '../hosted/ports.ts';
import type { ActiveSessions } from '../merchants/ports.ts';
import { parseItem } from './item-schema.ts';
import { keys, ownerPartition, type ItemKey } from './keys.ts';
import { findOwnedItem } from './owned-item.ts';

/** A text attribute that may be absent; an empty one reads as absent, as it always has. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** A checkout's terms as its session's item keeps them: the one definition of their attributes. */
const checkoutItem = z.object({
  amount: z.number().int(),
  currency: z.string(),
  order_id: optionalText,
  customer_id: optionalText,
  description: optionalText,
  return_url: optionalText,
});

/** A session's item (besides its keys and index attributes), as written and read. */
const sessionItem = z.object({
  session_id: z.string(),
  kind: z.enum(sessionKinds),
  merchant_id: z.string(),
  customer_id: optionalText,
  checkout: checkoutItem.optional(),
  created_at: z.string(),
  session_expires_at: z.string(),
  /** The table's TTL attribute (epoch seconds): DynamoDB removes the item some time after this. */
  expires_at: z.number().int(),
  /** Set by the first payment claim (`claimPayment`), absent before. */
  attempts: z.number().int().optional(),
  transaction_id: optionalText,
  claimed_at: optionalText,
  ended_at: optionalText,
});

/** What `end` reads of a session found by the owner index. */
const endableSessionItem = sessionItem.pick({ kind: true, ended_at: true }).extend({ pk: z.string(), sk: z.string() });
/** The key of a session item found by the owner index. */
const sessionItemKey = z.object({ pk: z.string(), sk: z.string() });

export class SessionStore implements Sessions, ActiveSessions {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A new session and its token; only the token's hash is written. */
  async create(input: NewSession): Promise<IssuedSession> {
    const now = this.clock();
    const token = generateSessionToken(input.kind);
    const expiresAtSeconds = Math.floor(now.getTime() / 1000) + SESSION_LIFETIME_SECONDS;
    const session: Session = {
      id: input.id,
      kind: input.kind,
      merchantId: input.merchantId,
      ...(input.customerId === undefined ? {} : { customerId: input.customerId }),
      ...(input.checkout === undefined ? {} : { checkout: input.checkout }),
      attempts: 0,
      createdAt: now.toISOString(),
      expiresAt: new Date(expiresAtSeconds * 1000).toISOString(),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.session(hashSessionToken(token)),
          ...({
            session_id: session.id,
            kind: session.kind,
            merchant_id: session.merchantId,
            ...(session.customerId === undefined ? {} : { customer_id: session.customerId }),
            ...(session.checkout === undefined ? {} : { checkout: toCheckoutItem(session.checkout) }),
            created_at: session.createdAt,
            session_expires_at: session.expiresAt,
            expires_at: expiresAtSeconds,
          } satisfies z.input<typeof sessionItem>),
          gsi1pk: ownerPartition.sessions(session.merchantId),
          gsi1sk: session.id,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { session, token };
  }

  /** The active session a token stands for; undefined when unknown, expired or ended. Read consistently. */
  async findActive(tokenHash: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.session(tokenHash), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const item = parseItem(sessionItem, Item, 'session');
    const session = toSession(item);
    return isActive({ expiresAt: session.expiresAt, endedAt: item.ended_at }, this.clock()) ? session : undefined;
  }

  /**
   * Ends one of the merchant's sessions of a kind (log out). Another merchant's session, or one of another
   * kind, is not found, as an unknown one is. Ending an ended session again is not an error.
   */
  async end(merchantId: string, kind: SessionKind, sessionId: string): Promise<{ id: string; endedAt: string }> {
    const item = await findOwnedItem(this.db, this.tableName, {
      owner: ownerPartition.sessions(merchantId),
      id: sessionId,
      schema: endableSessionItem,
      what: 'session',
    });
    if (item === undefined || item.kind !== kind) throw new NotFoundError(`${kind} session`, sessionId, 'id');
    if (item.ended_at !== undefined) return { id: sessionId, endedAt: item.ended_at };
    const proposed = this.clock().toISOString();
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET ended_at = if_not_exists(ended_at, :endedAt)',
        ConditionExpression: 'merchant_id = :merchantId',
        ExpressionAttributeValues: { ':endedAt': proposed, ':merchantId': merchantId },
        // A concurrent end may have won: report the time that was kept, not the one this call proposed.
        ReturnValues: 'ALL_NEW',
      }),
    );
    const kept = Attributes === undefined ? undefined : parseItem(sessionItem, Attributes, 'session').ended_at;
    return { id: sessionId, endedAt: kept ?? proposed };
  }

  /**
   * Records `transactionId` as the checkout's payment, on the condition that the payment it had is still
   * `previous` (none, or one that can no longer succeed), the session is neither ended nor expired, and it
   * has attempts left. Two payments racing on one checkout: one wins. The claim's time is kept so that a
   * claimed transaction not created yet counts as under way (see pay-checkout.ts).
   */
  async claimPayment(session: Session, previous: string | undefined, transactionId: string): Promise<void> {
    const now = this.clock().toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: await this.keyOf(session),
          UpdateExpression: 'SET transaction_id = :txn, claimed_at = :now ADD attempts :one',
          ConditionExpression: [
            'attribute_exists(pk)',
            previous === undefined ? 'attribute_not_exists(transaction_id)' : 'transaction_id = :previous',
            'attribute_not_exists(ended_at)',
            'session_expires_at > :now',
            '(attribute_not_exists(attempts) OR attempts < :max)',
          ].join(' AND '),
          ExpressionAttributeValues: {
            ':txn': transactionId,
            ':now': now,
            ':one': 1,
            ':max': MAX_CHECKOUT_ATTEMPTS,
            ...(previous === undefined ? {} : { ':previous': previous }),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new StateConflictError('checkout_payment_in_progress', 'Another payment for this checkout was just made; follow it instead.');
    }
  }

  /** The item key of a session, found by its id (the token is not at hand once the authorizer has run). */
  private async keyOf(session: Session): Promise<ItemKey> {
    const key = await this.findKey(session.merchantId, session.id);
    if (key === undefined) throw new NotFoundError('checkout session', session.id, 'id');
    return key;
  }

  /** The session's item key by its id, from the owner index; undefined when the merchant has no such session. */
  private findKey(merchantId: string, sessionId: string): Promise<ItemKey | undefined> {
    return findOwnedItem(this.db, this.tableName, {
      owner: ownerPartition.sessions(merchantId),
      id: sessionId,
      schema: sessionItemKey,
      what: 'session',
    });
  }

  /** The session by id, as its merchant owns it; active or not (the pages read their own session). */
  async getOwned(merchantId: string, sessionId: string): Promise<StoredSession | undefined> {
    const key = await this.findKey(merchantId, sessionId);
    if (key === undefined) return undefined;
    // The index is eventually consistent: read the item itself for its latest payment.
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (Item === undefined) return undefined;
    const item = parseItem(sessionItem, Item, 'session');
    return { ...toSession(item), ...(item.ended_at === undefined ? {} : { endedAt: item.ended_at }) };
  }
}

function toCheckoutItem(terms: CheckoutTerms): z.input<typeof checkoutItem> {
  return {
    amount: terms.amount,
    currency: terms.currency,
    ...(terms.orderId === undefined ? {} : { order_id: terms.orderId }),
    ...(terms.customerId === undefined ? {} : { customer_id: terms.customerId }),
    ...(terms.description === undefined ? {} : { description: terms.description }),
    ...(terms.returnUrl === undefined ? {} : { return_url: terms.returnUrl }),
  };
}

function toCheckoutTerms(item: z.output<typeof checkoutItem>): CheckoutTerms {
  return {
    amount: item.amount,
    currency: item.currency,
    ...(item.order_id === undefined ? {} : { orderId: item.order_id }),
    ...(item.customer_id === undefined ? {} : { customerId: item.customer_id }),
    ...(item.description === undefined ? {} : { description: item.description }),
    ...(item.return_url === undefined ? {} : { returnUrl: item.return_url }),
  };
}

function toSession(item: z.output<typeof sessionItem>): Session {
  return {
    id: item.session_id,
    kind: item.kind,
    merchantId: item.merchant_id,
    ...(item.customer_id === undefined ? {} : { customerId: item.customer_id }),
    ...(item.checkout === undefined ? {} : { checkout: toCheckoutTerms(item.checkout) }),
    ...(item.transaction_id === undefined ? {} : { transactionId: item.transaction_id }),
    ...(item.claimed_at === undefined ? {} : { claimedAt: item.claimed_at }),
    attempts: item.attempts ?? 0,
    createdAt: item.created_at,
    expiresAt: item.session_expires_at,
  };
}
