/**
 * The fan-out: recorded changes become events in the merchant's list, and one delivery per endpoint of the
 * merchant that subscribes to each event's type.
 *
 * A message carries the events themselves (outbox.ts), so nothing is read back: the fan-out records them
 * (with the endpoints each goes to) and sends each delivery's first message. Both steps are idempotent, so a
 * message that comes back after a crash runs them again; the delivery worker drops a second first-attempt
 * message once that attempt is recorded (two copies in flight at once may both POST: at least once). A redelivery request starts a new round for each finished delivery, once per
 * request id.
 */
import type { GatewayEvent } from '../core/event.ts';
import type { Deliveries, DeliveryMessage, EventLog, QueueSender, WebhookEndpoint } from './ports.ts';

/** Set by POST /events/{id}/redeliver: finished deliveries start again, once per id. */
export interface RedeliveryMessage {
  readonly merchant_id: string;
  readonly event_id: string;
  readonly redelivery_id: string;
}

export interface FanoutDependencies {
  readonly events: EventLog;
  /** The merchant's webhook endpoints; the worker reads each merchant's once per batch. */
  readonly endpointsOf: (merchantId: string) => Promise<readonly WebhookEndpoint[]>;
  readonly deliveries: Pick<Deliveries, 'restart'>;
  readonly queue: QueueSender;
  readonly now: () => number;
}

/** Does the endpoint take events of this type now? */
function subscribesTo(endpoint: WebhookEndpoint, eventType: string): boolean {
  return endpoint.status === 'enabled' && (endpoint.events.includes('*') || endpoint.events.includes(eventType));
}

export type FanoutOutcome = { readonly recorded: number; readonly deliveries: number };

/**
 * A pending delivery whose next attempt was due this long ago is stuck, not under way: its message failed
 * every receive (KMS or the table kept failing) and waits in the dead-letter queue. A redelivery restarts it.
 */
export const STUCK_AFTER_MS = 60 * 60_000;

export async function fanOutEvents(dependencies: FanoutDependencies, events: readonly GatewayEvent[]): Promise<FanoutOutcome> {
  // Publishing is at least once: a batch may hold one event twice, which a batch write would refuse whole.
  const unique = [...new Map(events.map((event) => [event.id, event])).values()];
  const routed = await Promise.all(
    unique.map(async (event) => ({
      event,
      endpointIds: (await dependencies.endpointsOf(event.merchantId))
        // An endpoint hears of what happens after it was registered, even when an event is published again.
        .filter((endpoint) => subscribesTo(endpoint, event.type) && endpoint.created <= event.created)
        .map((endpoint) => endpoint.endpointId),
    })),
  );
  await dependencies.events.record(routed, dependencies.now());
  const messages = routed.flatMap(({ event, endpointIds }) =>
    endpointIds.map((endpointId) => firstMessage({ merchant_id: event.merchantId, event_id: event.id, endpoint_id: endpointId, round: 1 })),
  );
  await dependencies.queue.sendBatch('webhookDelivery', messages);
  return { recorded: routed.length, deliveries: messages.length };
}

/**
 * Sends the event again to every endpoint subscribed to its type now, except where a delivery is under
 * way: a finished delivery starts its next round; an endpoint that never had the event gets its first.
 */
export async function redeliverEvent(dependencies: FanoutDependencies, message: RedeliveryMessage): Promise<{ restarted: number }> {
  const recorded = await dependencies.events.getOwned(message.merchant_id, message.event_id);
  // The events API checked the event before it asked for this: a missing one is a read to try again.
  if (recorded === undefined) throw new Error(`Event ${message.event_id} is not readable yet`);
  const { event, deliveries } = recorded;
  const endpoints = (await dependencies.endpointsOf(event.merchantId)).filter((endpoint) => subscribesTo(endpoint, event.type));
  const messages: { body: string }[] = [];
  for (const endpoint of endpoints) {
    const ids = { merchantId: event.merchantId, eventId: event.id, endpointId: endpoint.endpointId };
    const delivery = deliveries.find((candidate) => candidate.endpointId === endpoint.endpointId);
    const send = (round: number): void => {
      messages.push(firstMessage({ merchant_id: event.merchantId, event_id: event.id, endpoint_id: endpoint.endpointId, round }));
    };
    const now = dependencies.now();
    const stuckBefore = now - STUCK_AFTER_MS;
    const restart = async (previousRound: number): Promise<void> => {
      if (await dependencies.deliveries.restart(ids, previousRound, now, stuckBefore, message.redelivery_id)) send(previousRound + 1);
    };
    if (delivery === undefined) {
      await restart(0);
    } else if (delivery.lastRedeliveryId === message.redelivery_id && delivery.status === 'pending' && delivery.nextAttempt === 1) {
      // Started by this request before, by a run that may have died before sending its message.
      send(delivery.round);
    } else if (delivery.status !== 'pending' || delivery.nextAttemptAt < stuckBefore) {
      await restart(delivery.round);
    }
    // Otherwise a delivery is under way: it goes on as it is.
  }
  await dependencies.queue.sendBatch('webhookDelivery', messages);
  return { restarted: messages.length };
}

function firstMessage(ids: Omit<DeliveryMessage, 'attempt'>): { body: string } {
  const message: DeliveryMessage = { ...ids, attempt: 1 };
  return { body: JSON.stringify(message) };
}
