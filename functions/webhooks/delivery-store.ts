/**
 * One delivery per (event, endpoint): right after its event in the event's partition (adapters/keys.ts), so
 * that one query reads an event with all its deliveries. The item is written when its first attempt is
 * recorded (until then the event's `endpoint_ids` says it is due), and each attempt is one conditional
 * write on (round, attempt): two workers holding the same attempt's message cannot both record it.
 *
 * The next attempt's message is sent after the write that records this one. A worker that dies in between
 * leaves the attempt recorded and its message unacknowledged: it comes back, finds itself one attempt
 * behind, and sends the next message then (deliver.ts). No outbox, no claim: the queue is the carrier.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../adapters/keys.ts';
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
}

/** What a message on the delivery queue carries: ids only, never the payload or the secret. */
export interface DeliveryMessage {
  readonly merchant_id: string;
  readonly event_id: string;
  readonly endpoint_id: string;
  readonly round: number;
  readonly attempt: number;
}

/** The delay of the message for an attempt due in `waitMs`: a wait longer than SQS's longest delay is several hops. */
export function hopDelaySeconds(waitMs: number): number {
  return Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil(waitMs / 1000)));
}

/** A delivery none of whose attempts was recorded yet: how an event's `endpoint_ids` show before the first. */
export function firstAttemptDue(ids: { eventId: string; endpointId: string; merchantId: string }, dueAt: number): Delivery {
  return {
    ...ids,
    status: 'pending',
    round: 1,
    nextAttempt: 1,
    nextAttemptAt: dueAt,
    attempts: [],
    failureReason: undefined,
    lastRedeliveryId: undefined,
  };
}

export interface AttemptRecord {
  readonly attempt: DeliveryAttempt;
  readonly status: DeliveryStatus;
  readonly failureReason?: string;
  /** Set when another attempt follows, after this wait. */
  readonly retryInMs?: number;
  readonly now: number;
}

export class DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Records an attempt's outcome, on the condition that the delivery still waits for exactly this attempt of
   * this round. False when it does not: another worker recorded it, or a redelivery started a new round.
   */
  async record(message: DeliveryMessage, change: AttemptRecord): Promise<boolean> {
    const first = message.round === 1 && message.attempt === 1;
    const expected = '#round = :round AND next_attempt = :attempt AND #status = :pending';
    const nextAttempt = change.retryInMs === undefined ? message.attempt : message.attempt + 1;
    const clauses = [
      'event_id = :eventId',
      'endpoint_id = :endpointId',
      'merchant_id = :merchantId',
      '#round = :round',
      '#status = :status',
      'attempts = list_append(if_not_exists(attempts, :none), :attempted)',
      'next_attempt = :next',
      'next_attempt_at = :nextAt',
    ];
    const values: Record<string, unknown> = {
      ':eventId': message.event_id,
      ':endpointId': message.endpoint_id,
      ':merchantId': message.merchant_id,
      ':round': message.round,
      ':attempt': message.attempt,
      ':pending': 'pending',
      ':status': change.status,
      ':none': [],
      ':attempted': [toItemAttempt(change.attempt)],
      ':next': nextAttempt,
      ':nextAt': change.now + (change.retryInMs ?? 0),
    };
    if (change.failureReason !== undefined) {
      clauses.push('failure_reason = :reason');
      values[':reason'] = change.failureReason;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(message.merchant_id, message.event_id, message.endpoint_id),
          UpdateExpression: `SET ${clauses.join(', ')}` + (change.failureReason === undefined ? ' REMOVE failure_reason' : ''),
          ConditionExpression: first ? `attribute_not_exists(pk) OR (${expected})` : expected,
          ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Starts a new round of attempts (POST /events/{id}/redeliver) after `previousRound` (0: the endpoint never
   * had the event), once per redelivery id. It takes a delivery that is finished, or one still `pending` whose
   * next attempt was due before `stuckBefore` (its message failed every receive and waits in the dead-letter
   * queue); false when the delivery is under way, or this id started it already.
   */
  async restart(
    ids: { merchantId: string; eventId: string; endpointId: string },
    previousRound: number,
    now: number,
    stuckBefore: number,
    redeliveryId: string,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(ids.merchantId, ids.eventId, ids.endpointId),
          UpdateExpression:
            'SET event_id = :eventId, endpoint_id = :endpointId, merchant_id = :merchantId, #round = :round, ' +
            '#status = :pending, next_attempt = :one, next_attempt_at = :now, last_redelivery_id = :id, ' +
            'attempts = if_not_exists(attempts, :none) REMOVE failure_reason',
          // No item yet: its first round never recorded an attempt (or never was).
          ConditionExpression:
            'attribute_not_exists(pk) OR (#round = :previous AND (#status <> :pending OR next_attempt_at < :stuckBefore))',
          ExpressionAttributeNames: { '#round': 'round', '#status': 'status' },
          ExpressionAttributeValues: {
            ':eventId': ids.eventId,
            ':endpointId': ids.endpointId,
            ':merchantId': ids.merchantId,
            ':round': previousRound + 1,
            ':previous': previousRound,
            ':pending': 'pending',
            ':one': 1,
            ':now': now,
            ':stuckBefore': stuckBefore,
            ':id': redeliveryId,
            ':none': [],
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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

/** A delivery item as stored (see `record`). */
export function toDelivery(item: Record<string, unknown>): Delivery {
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
  };
}
