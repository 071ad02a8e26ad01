/**
 * One delivery attempt, as the delivery worker runs it for a message `{event_id, endpoint_id, round,
 * attempt}`:
 *   stale (another round, an attempt already made, a finished delivery) → dropped;
 *   not yet due (a wait longer than one 15-minute SQS hop) → sent on again, delayed;
 *   due → claimed, POSTed signed, and the outcome recorded with the next attempt's message in one write.
 * After the last attempt fails, the message is for the dead-letter queue (`dead_letter`); a 410 Gone
 * disables the endpoint and ends the delivery. An outcome that could not be recorded because another worker
 * took the attempt over meanwhile is `busy`: that worker records it.
 */
import { crashPoint } from '../fault-injection.ts';
import type { EventRepository } from '../adapters/event-repository.ts';
import type { QueueSender } from '../adapters/queue-sender.ts';
import type { DeliveryAttempt, DeliveryMessage, DeliveryStore } from './delivery-store.ts';
import { deliveryCommand } from './delivery-store.ts';
import type { WebhookEndpointStore } from './endpoint-store.ts';
import type { WebhookPoster } from './http-post.ts';
import type { RetrySchedule } from './retry-schedule.ts';
import type { SecretBox } from './secret-box.ts';
import { signedHeaders } from './signing.ts';

export type DeliveryOutcome = 'stale' | 'not_due' | 'busy' | 'succeeded' | 'retry_scheduled' | 'endpoint_gone' | 'dead_letter';

export interface DeliverDependencies {
  readonly events: Pick<EventRepository, 'get'>;
  readonly endpoints: Pick<WebhookEndpointStore, 'get' | 'disable'>;
  readonly deliveries: Pick<DeliveryStore, 'get' | 'claim' | 'record'>;
  readonly secrets: Pick<SecretBox, 'open'>;
  readonly poster: WebhookPoster;
  /** Sends the next hop of a wait longer than one SQS delay. */
  readonly queue: QueueSender;
  readonly schedule: RetrySchedule;
  readonly now: () => number;
  /** How long a claim holds: longer than one attempt can take, shorter than the queue's visibility timeout. */
  readonly claimMs: number;
}

type RecordedChange = Parameters<DeliveryStore['record']>[2];

/** A message arriving this close to its due time is due: SQS delays are whole seconds. */
const DUE_TOLERANCE_MS = 1_000;

/** The body integrators receive (Standard Webhooks): `{type, timestamp, data}`. */
export function webhookBody(event: { type: string; created: string; data: Record<string, unknown> }): string {
  return JSON.stringify({ type: event.type, timestamp: event.created, data: event.data });
}

export async function deliverAttempt(dependencies: DeliverDependencies, message: DeliveryMessage): Promise<DeliveryOutcome> {
  const { deliveries } = dependencies;
  const delivery = await deliveries.get(message.event_id, message.endpoint_id);
  if (delivery === undefined) throw new Error(`Delivery ${message.event_id}/${message.endpoint_id} is not recorded`);
  if (delivery.round !== message.round) return 'stale';
  // The last attempt's own message: the attempt failed, and the message belongs in the dead-letter queue.
  if (delivery.status === 'failed' && delivery.failureReason === 'retries_exhausted' && delivery.nextAttempt === message.attempt) {
    return 'dead_letter';
  }
  if (delivery.status !== 'pending' || delivery.nextAttempt !== message.attempt) return 'stale';

  const waitMs = delivery.nextAttemptAt - dependencies.now();
  if (waitMs > DUE_TOLERANCE_MS) {
    // Sent before this message is acknowledged: a crash in between leaves two messages for the attempt,
    // never none, and the claim below keeps the two from both POSTing.
    const hop = deliveryCommand(message, waitMs);
    if (hop.kind === 'command') await dependencies.queue.send(hop.queue, JSON.stringify(hop.body), hop.delaySeconds);
    return 'not_due';
  }

  const version = await deliveries.claim(delivery, dependencies.now(), dependencies.claimMs);
  if (version === undefined) return 'busy';
  // A record refused on its version: the claim ran out and another worker took the attempt over.
  const recordedOr = async (change: RecordedChange, outcome: DeliveryOutcome): Promise<DeliveryOutcome> =>
    (await deliveries.record(delivery, version, change)) ? outcome : 'busy';

  const [event, endpoint] = await Promise.all([
    dependencies.events.get(message.event_id),
    dependencies.endpoints.get(message.endpoint_id),
  ]);
  // The delivery exists only because its event was recorded: a missing one is a read to try again, never
  // a reason to give up. Thrown, the message comes back once the claim has run out, or ends in the DLQ.
  if (event === undefined) throw new Error(`Event ${message.event_id} is not readable yet`);
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
    return recordedOr({ attempt, status: 'failed', failureReason: reason, now: dependencies.now() }, 'endpoint_gone');
  }

  const secret = await dependencies.secrets.open(endpoint.sealedSecret, { merchantId: endpoint.merchantId, endpointId: endpoint.endpointId });
  const body = webhookBody(event);
  const result = await dependencies.poster.post(endpoint.url, body, { ...signedHeaders(secret, event.id, startedAt, body) });
  // Dying here, the receiver has the event but the gateway does not know: it sends it again, same webhook-id.
  crashPoint('webhook.after-post');
  const attempt: DeliveryAttempt = { attempt: message.attempt, at: startedAt.toISOString(), ...result };
  const now = dependencies.now();

  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
    return recordedOr({ attempt, status: 'succeeded', now }, 'succeeded');
  }
  if (result.statusCode === 410) {
    await dependencies.endpoints.disable(endpoint.endpointId, 'The endpoint answered 410 Gone.');
    return recordedOr({ attempt, status: 'failed', failureReason: 'endpoint_gone', now }, 'endpoint_gone');
  }
  const retryInMs = dependencies.schedule.delayAfter(message.attempt);
  if (retryInMs === undefined) {
    return recordedOr({ attempt, status: 'failed', failureReason: 'retries_exhausted', now }, 'dead_letter');
  }
  return recordedOr({ attempt, status: 'pending', retryInMs, now }, 'retry_scheduled');
}
