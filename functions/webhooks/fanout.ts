/**
 * The fan-out: one recorded event becomes one delivery per endpoint of its merchant that subscribes to its
 * type. Idempotent: a delivery is created only if it does not exist (a redelivered fan-out message publishes
 * what an interrupted earlier run left in the delivery's outbox instead), and a redelivery request is applied
 * once per request id.
 */
import type { EventRepository } from '../adapters/event-repository.ts';
import type { DeliveryStore } from './delivery-store.ts';
import { subscribesTo, type WebhookEndpointStore } from './endpoint-store.ts';

export interface FanoutMessage {
  readonly event_id: string;
  /** Set by POST /events/{id}/redeliver: finished deliveries start again, once per id. */
  readonly redelivery_id?: string | undefined;
}

export interface FanoutDependencies {
  readonly events: Pick<EventRepository, 'get'>;
  readonly endpoints: Pick<WebhookEndpointStore, 'listAll'>;
  readonly deliveries: Pick<DeliveryStore, 'get' | 'start' | 'restart' | 'key' | 'outbox'>;
  readonly now: () => number;
}

export type FanoutOutcome = { readonly started: number; readonly restarted: number };

export async function fanOutEvent(dependencies: FanoutDependencies, message: FanoutMessage): Promise<FanoutOutcome> {
  const event = await dependencies.events.get(message.event_id);
  // The event is recorded before its fan-out is sent (outbox.ts), so a missing one is a bug or a deletion.
  if (event === undefined) throw new Error(`Event ${message.event_id} is not recorded`);
  const endpoints = (await dependencies.endpoints.listAll(event.merchantId)).filter((endpoint) => subscribesTo(endpoint, event.type));
  let started = 0;
  let restarted = 0;
  for (const endpoint of endpoints) {
    const ids = { eventId: event.id, endpointId: endpoint.endpointId, merchantId: event.merchantId };
    if (await dependencies.deliveries.start(ids, dependencies.now(), message.redelivery_id)) {
      started += 1;
      continue;
    }
    const existing = await dependencies.deliveries.get(event.id, endpoint.endpointId);
    if (existing === undefined) continue;
    const redeliver =
      message.redelivery_id !== undefined && existing.status !== 'pending' && existing.lastRedeliveryId !== message.redelivery_id;
    if (redeliver && (await dependencies.deliveries.restart(existing, dependencies.now(), message.redelivery_id ?? ''))) {
      restarted += 1;
    } else {
      // Created by an earlier run of this message that may have died before sending the first attempt.
      await dependencies.deliveries.outbox.publishPending(dependencies.deliveries.key(event.id, endpoint.endpointId));
    }
  }
  return { started, restarted };
}
