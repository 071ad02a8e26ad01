/**
 * One delivery per (event, endpoint): right after its event in the event's partition (adapters/keys.ts), so
 * that one query reads an event with all its deliveries. The item is written when its first attempt is
 * recorded (until then the event's `endpoint_ids` says it is due), and each attempt is one conditional
 * write on (round, attempt): two workers holding the same attempt's message cannot both record it.
 *
 * The next attempt's message is sent after the write that records this one. A worker that dies in between
 * leaves the attempt recorded and its message unacknowledged: it comes back, finds itself one attempt
 * behind, and sends the next message then (webhooks/deliver.ts). No outbox, no claim: the queue is the carrier.
 * Items are parsed as they are read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { AttemptRecord, Deliveries, Delivery, DeliveryAttempt, DeliveryMessage } from '../webhooks/ports.ts';
import { parseItem } from './item-schema.ts';
import { keys } from './keys.ts';

export class DeliveryStore implements Deliveries {
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

/** An attempt as `toItemAttempt` writes it. */
const attemptItem = z.object({
  attempt: z.number(),
  at: z.string(),
  status_code: z.number().nullable(),
  latency_ms: z.number(),
  error: z.string().nullable(),
});

/** A delivery item as `record` and `restart` write it. */
const deliveryItem = z.object({
  event_id: z.string(),
  endpoint_id: z.string(),
  merchant_id: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  round: z.number(),
  next_attempt: z.number(),
  next_attempt_at: z.number(),
  attempts: z.array(attemptItem),
  failure_reason: z.string().optional(),
  last_redelivery_id: z.string().optional(),
});

export function toDelivery(item: Record<string, unknown>): Delivery {
  const stored = parseItem(deliveryItem, item, 'webhook delivery');
  return {
    eventId: stored.event_id,
    endpointId: stored.endpoint_id,
    merchantId: stored.merchant_id,
    status: stored.status,
    round: stored.round,
    nextAttempt: stored.next_attempt,
    nextAttemptAt: stored.next_attempt_at,
    attempts: stored.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      at: attempt.at,
      statusCode: attempt.status_code,
      latencyMs: attempt.latency_ms,
      error: attempt.error,
    })),
    failureReason: stored.failure_reason,
    lastRedeliveryId: stored.last_redelivery_id,
  };
}
