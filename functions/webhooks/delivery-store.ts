/**
 * One delivery per (event, endpoint): `EVT#<event>` / `DLV#<endpoint>`, beside its event so that one query
 * reads an event with all its deliveries. The item is an outbox record (functions/adapters/outbox.ts): the
 * write that records an attempt also holds the message for the next one, so a retry cannot be lost between
 * the two. Every change is conditional on the item's `version`.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, type ItemKey } from '../adapters/keys.ts';
import { commandEntry, type OutboxEntry, type OutboxStore } from '../adapters/outbox.ts';
import { MAX_SQS_DELAY_SECONDS } from '../adapters/queue-sender.ts';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  readonly attempt: number;
  /** ISO 8601 UTC, when the request was sent. */
  readonly at: string;
  /** The receiver's HTTP status; null when none came (timeout, refused connection, refused target). */
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

export interface Delivery {
  readonly eventId: string;
  readonly endpointId: string;
  readonly merchantId: string;
  readonly status: DeliveryStatus;
  /** Bumped by a redelivery: messages of an older round are stale. */
  readonly round: number;
  /** The attempt the next message must carry. */
  readonly nextAttempt: number;
  /** Epoch ms when the next attempt is due. */
  readonly nextAttemptAt: number;
  readonly attempts: readonly DeliveryAttempt[];
  readonly failureReason: string | undefined;
  readonly lastRedeliveryId: string | undefined;
  /** Epoch ms until which a worker holds the current attempt. */
  readonly claimedUntil: number | undefined;
  readonly version: number;
}

/** What a message on the delivery queue carries: ids only, never the payload or the secret. */
export interface DeliveryMessage {
  readonly event_id: string;
  readonly endpoint_id: string;
  readonly round: number;
  readonly attempt: number;
}

/** A wait longer than SQS's longest delay is several hops. */
export function deliveryCommand(message: DeliveryMessage, waitMs: number): OutboxEntry {
  const seconds = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(waitMs / 1000)));
  return commandEntry('webhookDelivery', { ...message }, seconds);
}

export class DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly outbox: OutboxStore,
  ) {}

  key(eventId: string, endpointId: string): ItemKey {
    return keys.webhookDelivery(eventId, endpointId);
  }

  async get(eventId: string, endpointId: string): Promise<Delivery | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(eventId, endpointId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toDelivery(Item);
  }

  async listForEvent(eventId: string): Promise<Delivery[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dlv)',
        ExpressionAttributeValues: { ':pk': keys.event(eventId).pk, ':dlv': 'DLV#' },
      }),
    );
    return (Items ?? []).map(toDelivery);
  }

  /** A new delivery and its first message, in one write; false when it exists already. */
  async start(ids: { eventId: string; endpointId: string; merchantId: string }, now: number, redeliveryId?: string): Promise<boolean> {
    const message: DeliveryMessage = { event_id: ids.eventId, endpoint_id: ids.endpointId, round: 1, attempt: 1 };
    const entries = [deliveryCommand(message, 0)];
    const key = this.key(ids.eventId, ids.endpointId);
    const outcome = await this.outbox.create(
      {
        ...key,
        event_id: ids.eventId,
        endpoint_id: ids.endpointId,
        merchant_id: ids.merchantId,
        status: 'pending',
        round: 1,
        next_attempt: 1,
        next_attempt_at: now,
        attempts: [],
        ...(redeliveryId === undefined ? {} : { last_redelivery_id: redeliveryId }),
      },
      entries,
    );
    if (outcome === 'condition_failed') return false;
    await this.outbox.publish(key, entries);
    return true;
  }

  /** Starts a new round of attempts for a finished delivery (POST /events/{id}/redeliver). */
  async restart(delivery: Delivery, now: number, redeliveryId: string): Promise<boolean> {
    const round = delivery.round + 1;
    const message: DeliveryMessage = { event_id: delivery.eventId, endpoint_id: delivery.endpointId, round, attempt: 1 };
    const entries = [deliveryCommand(message, 0)];
    const key = this.key(delivery.eventId, delivery.endpointId);
    const outcome = await this.outbox.update({
      key,
      set: {
        status: 'pending',
        round,
        next_attempt: 1,
        next_attempt_at: now,
        last_redelivery_id: redeliveryId,
        failure_reason: undefined,
        claimed_until: undefined,
      },
      expectedVersion: delivery.version,
      entries,
    });
    if (outcome === 'condition_failed') return false;
    await this.outbox.publish(key, entries);
    return true;
  }

  /**
   * Takes the current attempt for `holdMs`, so that a duplicate message for it cannot POST at the same
   * time. Returns the version to record the outcome against, or undefined when someone else holds it.
   */
  async claim(delivery: Delivery, now: number, holdMs: number): Promise<number | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(delivery.eventId, delivery.endpointId),
          UpdateExpression: 'SET claimed_until = :until, #version = #version + :one',
          ConditionExpression: '#version = :expected AND (attribute_not_exists(claimed_until) OR claimed_until < :now)',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':until': now + holdMs, ':one': 1, ':expected': delivery.version, ':now': now },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.version);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Records an attempt's outcome and, for a retry, the next message, in one conditional write. */
  async record(
    delivery: Delivery,
    version: number,
    change: { attempt: DeliveryAttempt; status: DeliveryStatus; failureReason?: string; retryInMs?: number; now: number },
  ): Promise<boolean> {
    const key = this.key(delivery.eventId, delivery.endpointId);
    const nextAttempt = change.attempt.attempt + 1;
    const entries =
      change.retryInMs === undefined
        ? []
        : [
            deliveryCommand(
              { event_id: delivery.eventId, endpoint_id: delivery.endpointId, round: delivery.round, attempt: nextAttempt },
              change.retryInMs,
            ),
          ];
    const outcome = await this.outbox.update({
      key,
      set: {
        status: change.status,
        attempts: [...delivery.attempts, change.attempt].map(toItemAttempt),
        next_attempt: change.retryInMs === undefined ? change.attempt.attempt : nextAttempt,
        next_attempt_at: change.now + (change.retryInMs ?? 0),
        failure_reason: change.failureReason,
        claimed_until: undefined,
      },
      expectedVersion: version,
      entries,
    });
    if (outcome === 'condition_failed') return false;
    await this.outbox.publish(key, entries);
    return true;
  }
}

function toItemAttempt(attempt: DeliveryAttempt): Record<string, unknown> {
  return {
    attempt: attempt.attempt,
    at: attempt.at,
    status_code: attempt.statusCode,
    latency_ms: attempt.latencyMs,
    error: attempt.error,
  };
}

function toDelivery(item: Record<string, unknown>): Delivery {
  const attempts = Array.isArray(item.attempts) ? (item.attempts as Record<string, unknown>[]) : [];
  return {
    eventId: String(item.event_id),
    endpointId: String(item.endpoint_id),
    merchantId: String(item.merchant_id),
    status: item.status === 'succeeded' || item.status === 'failed' ? item.status : 'pending',
    round: Number(item.round),
    nextAttempt: Number(item.next_attempt),
    nextAttemptAt: Number(item.next_attempt_at),
    attempts: attempts.map((attempt) => ({
      attempt: Number(attempt.attempt),
      at: String(attempt.at),
      statusCode: typeof attempt.status_code === 'number' ? attempt.status_code : null,
      latencyMs: Number(attempt.latency_ms),
      error: typeof attempt.error === 'string' ? attempt.error : null,
    })),
    failureReason: typeof item.failure_reason === 'string' ? item.failure_reason : undefined,
    lastRedeliveryId: typeof item.last_redelivery_id === 'string' ? item.last_redelivery_id : undefined,
    claimedUntil: typeof item.claimed_until === 'number' ? item.claimed_until : undefined,
    version: Number(item.version),
  };
}
