/**
 * GET /events and GET /events/{id}: what happened to the caller's resources, newest first, each with its
 * webhook deliveries and their attempts. POST /events/{id}/redeliver sends an event again.
 * Built from its ports (functions/wiring/events.ts gives the real ones), so a test hands in fakes.
 */
import type { DeliveryResponse } from '../contract/webhooks.ts';
import { NotFoundError } from '../core/errors.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import type { GatewayEvent } from '../core/event.ts';
import type { Delivery, RecordedEvent } from '../webhooks/ports.ts';
import type { RedeliveryMessage } from '../webhooks/fanout.ts';
import type { QueueSender, RecordedEvents } from './ports.ts';
import { eventRoutes } from './routes.ts';

export interface EventsDependencies extends ApiPipelineDependencies {
  readonly events: RecordedEvents;
  /** Reaches the webhook fan-out, which redelivers. */
  readonly queue: QueueSender;
}

function toPublicDelivery(delivery: Delivery): DeliveryResponse {
  return {
    endpoint_id: delivery.endpointId,
    status: delivery.status,
    failure_reason: (delivery.failureReason ?? null) as DeliveryResponse['failure_reason'],
    next_attempt_at: delivery.status === 'pending' ? new Date(delivery.nextAttemptAt).toISOString() : null,
    attempts: delivery.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      at: attempt.at,
      status_code: attempt.statusCode,
      latency_ms: attempt.latencyMs,
      error: attempt.error,
    })),
  };
}

/** The event as a merchant reads it: everything but its owner, who is the caller, with its webhook deliveries. */
function toPublicEvent<PublicDelivery>(
  event: GatewayEvent,
  deliveries: readonly PublicDelivery[],
): { id: string; type: string; created: string; data: Record<string, unknown>; deliveries: readonly PublicDelivery[] } {
  return { id: event.id, type: event.type, created: event.created, data: event.data, deliveries };
}

const toPublic = ({ event, deliveries }: RecordedEvent): ReturnType<typeof toPublicEvent<DeliveryResponse>> =>
  toPublicEvent(event, deliveries.map(toPublicDelivery));

export function makeEventsHandler({ events, queue, ...pipeline }: EventsDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(eventRoutes.listEvents, async (request) => {
        const { merchantId } = merchantOf(request);
        const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId });
        const page = await events.list({
          merchantId,
          limit: request.query.limit,
          ...(request.query.type === undefined ? {} : { type: request.query.type }),
          ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
        });
        return pageResult(request.location, {
          items: page.events.map(toPublic),
          nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, after: page.lastId },
        });
      }),
      defineRoute(eventRoutes.getEvent, async (request) => {
        const id = request.pathParameters.id ?? '';
        const recorded = await events.getOwned(merchantOf(request).merchantId, id);
        if (recorded === undefined) throw new NotFoundError('event', id, 'id');
        return { status: 200, body: toPublic(recorded) };
      }),
      defineRoute(eventRoutes.redeliverEvent, async (request) => {
        const id = request.pathParameters.id ?? '';
        const { merchantId } = merchantOf(request);
        const recorded = await events.getOwned(merchantId, id);
        if (recorded === undefined) throw new NotFoundError('event', id, 'id');
        // The redelivery happens once per id however often the fan-out message arrives; seeded by the
        // idempotency record, the id stays the same when a retry of this request takes it over.
        const message: RedeliveryMessage = { merchant_id: merchantId, event_id: id, redelivery_id: request.newId('redelivery') };
        await queue.send('webhookFanout', JSON.stringify(message));
        return { status: 200, body: { event_id: id, status: 'scheduled' } };
      }),
    ],
    pipeline,
  );
}
