/**
 * One delivery attempt, as the delivery worker runs it for a message `{merchant_id, event_id, endpoint_id,
 * round, attempt}` with what it read for it (one read per batch of messages, see adapters/webhook-delivery-reader.ts):
 *   stale (another round, an attempt already made, a finished delivery) → dropped;
 *   one attempt behind and received again (its worker recorded the attempt, then died before sending the
 *     next message) → the next message is sent, then this one dropped;
 *   not yet due (a wait longer than one 15-minute SQS hop) → sent on again, delayed;
 *   due → POSTed signed, and the outcome recorded on the condition that no other worker recorded this
 *     attempt; then the next attempt's message, if any.
 * Two copies of one message may both POST (receivers deduplicate on `webhook-id`, the event id); only one
 * records. After the last attempt fails, the message is for the dead-letter queue (`dead_letter`); a 410
 * Gone disables the endpoint and ends the delivery.
 */
import { MAX_MESSAGE_DELAY_SECONDS } from '../core/queue-sender.ts';
import { crashPoint } from '../fault-injection.ts';
import {
  firstAttemptDue,
  type AttemptRecord,
  type Deliveries,
  type DeliveryAttempt,
  type DeliveryContext,
  type DeliveryMessage,
  type QueueSender,
  type SecretBox,
  type WebhookEndpoints,
  type WebhookPoster,
} from './ports.ts';
import type { RetrySchedule } from './retry-schedule.ts';
import { signedHeaders } from './signing.ts';

export type DeliveryOutcome =
  | 'stale'
  | 'next_resent'
  | 'not_due'
  | 'duplicate'
  | 'succeeded'
  | 'retry_scheduled'
  | 'endpoint_gone'
  | 'dead_letter';

export interface DeliverDependencies {
  readonly endpoints: Pick<WebhookEndpoints, 'disable'>;
  readonly deliveries: Pick<Deliveries, 'record'>;
  readonly secrets: Pick<SecretBox, 'open'>;
  readonly poster: WebhookPoster;
  /** Sends the next attempt's message, and the next hop of a wait longer than one SQS delay. */
  readonly queue: QueueSender;
  readonly schedule: RetrySchedule;
  readonly now: () => number;
}

/** A message arriving this close to its due time is due: SQS delays are whole seconds. */
const DUE_TOLERANCE_MS = 1_000;

/** The body integrators receive (Standard Webhooks): `{type, timestamp, data}`. */
export function webhookBody(event: { type: string; created: string; data: Record<string, unknown> }): string {
  return JSON.stringify({ type: event.type, timestamp: event.created, data: event.data });
}

export async function deliverAttempt(
  dependencies: DeliverDependencies,
  message: DeliveryMessage,
  context: DeliveryContext,
  receipt: { readonly redelivered: boolean },
): Promise<DeliveryOutcome> {
  const ids = { merchantId: message.merchant_id, eventId: message.event_id, endpointId: message.endpoint_id };
  // No item yet: the first attempt of the first round is due as soon as the event is recorded.
  const delivery = context.delivery ?? (message.round === 1 ? firstAttemptDue(ids, 0) : undefined);
  if (delivery === undefined || delivery.round !== message.round) return 'stale';
  // The last attempt's own message: the attempt failed, and the message belongs in the dead-letter queue.
  if (delivery.status === 'failed' && delivery.failureReason === 'retries_exhausted' && delivery.nextAttempt === message.attempt) {
    return 'dead_letter';
  }
  // Only a message that comes back can be one whose worker died between its record and the next message; a
  // first receive one attempt behind is a copy (an event published again), and the next message exists.
  if (receipt.redelivered && delivery.status === 'pending' && delivery.nextAttempt === message.attempt + 1) {
    await sendFor(dependencies, { ...message, attempt: delivery.nextAttempt }, delivery.nextAttemptAt - dependencies.now());
    return 'next_resent';
  }
  if (delivery.status !== 'pending' || delivery.nextAttempt !== message.attempt) return 'stale';

  const waitMs = delivery.nextAttemptAt - dependencies.now();
  if (waitMs > DUE_TOLERANCE_MS) {
    // Sent before this message is acknowledged: a crash in between leaves two messages for the attempt,
    // never none, and only one of them can record it.
    await sendFor(dependencies, message, waitMs);
    return 'not_due';
  }

  // The delivery exists only because its event was recorded: a missing one is a read to try again, never
  // a reason to give up. Thrown, the message comes back after its visibility timeout, or ends in the DLQ.
  const { event, endpoint } = context;
  if (event === undefined) throw new Error(`Event ${message.event_id} is not readable yet`);
  const record = async (change: AttemptRecord, outcome: DeliveryOutcome): Promise<DeliveryOutcome> => {
    if (!(await dependencies.deliveries.record(message, change))) return 'duplicate';
    crashPoint('webhook.after-record');
    if (change.retryInMs !== undefined) await sendFor(dependencies, { ...message, attempt: message.attempt + 1 }, change.retryInMs);
    return outcome;
  };
  const startedAt = new Date(dependencies.now());
  if (endpoint === undefined || endpoint.status !== 'enabled') {
    const reason = endpoint === undefined ? 'endpoint_deleted' : 'endpoint_disabled';
    const attempt: DeliveryAttempt = {
      attempt: message.attempt,
      at: startedAt.toISOString(),
      statusCode: null,
      latencyMs: 0,
      error: `not sent: ${reason.replace('_', ' ')}`,
    };
    return record({ attempt, status: 'failed', failureReason: reason, now: dependencies.now() }, 'endpoint_gone');
  }

  const secret = await dependencies.secrets.open(endpoint.sealedSecret, { merchantId: endpoint.merchantId, endpointId: endpoint.endpointId });
  const body = webhookBody(event);
  const result = await dependencies.poster.post(endpoint.url, body, { ...signedHeaders(secret, event.id, startedAt, body) });
  // Dying here, the receiver has the event but the gateway does not know: it sends it again, same webhook-id.
  crashPoint('webhook.after-post');
  const attempt: DeliveryAttempt = { attempt: message.attempt, at: startedAt.toISOString(), ...result };
  const now = dependencies.now();

  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
    return record({ attempt, status: 'succeeded', now }, 'succeeded');
  }
  if (result.statusCode === 410) {
    await dependencies.endpoints.disable(endpoint.endpointId, 'The endpoint answered 410 Gone.');
    return record({ attempt, status: 'failed', failureReason: 'endpoint_gone', now }, 'endpoint_gone');
  }
  const retryInMs = dependencies.schedule.delayAfter(message.attempt);
  if (retryInMs === undefined) {
    return record({ attempt, status: 'failed', failureReason: 'retries_exhausted', now }, 'dead_letter');
  }
  // Dying after the record and before the next message: this message comes back one attempt behind.
  return record({ attempt, status: 'pending', retryInMs, now }, 'retry_scheduled');
}

/** Sends the message for an attempt due in `waitMs` (one hop of at most SQS's longest delay). */
async function sendFor(dependencies: DeliverDependencies, message: DeliveryMessage, waitMs: number): Promise<void> {
  await dependencies.queue.send('webhookDelivery', JSON.stringify(message), hopDelaySeconds(waitMs));
}

/** The delay of the message for an attempt due in `waitMs`: a wait longer than SQS's longest delay is several hops. */
function hopDelaySeconds(waitMs: number): number {
  return Math.min(MAX_MESSAGE_DELAY_SECONDS, Math.max(0, Math.ceil(waitMs / 1000)));
}
