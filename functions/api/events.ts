/**
 * GET /events and GET /events/{id}: what happened to the caller's resources, newest first, each with its
 * webhook deliveries and their attempts. POST /events/{id}/redeliver sends an event again.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { EventRepository, toPublicEvent } from '../adapters/event-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender, type QueueSender } from '../adapters/queue-sender.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { mapWithConcurrency } from '../core/concurrency.ts';
import { NotFoundError } from '../core/errors.ts';
import { listEventsQuery } from '../contract/events.ts';
import { createApiHandler } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';
import { DeliveryStore, type Delivery } from '../webhooks/delivery-store.ts';
import type { DeliveryResponse } from '../contract/webhooks.ts';

export interface EventRoutesDependencies {
  readonly events: Pick<EventRepository, 'list' | 'getOwned'>;
  // Reads only: this function never writes a delivery, it asks the fan-out to.
  readonly deliveries: Pick<DeliveryStore, 'listForEvent'>;
  readonly queue: QueueSender;
}

export function toPublicDelivery(delivery: Delivery): DeliveryResponse {
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

/** How many deliveries queries a page of events runs at once: a page holds up to 100 events. */
const DELIVERY_READS_IN_PARALLEL = 10;

export function eventRoutes({ events, deliveries, queue }: EventRoutesDependencies): ApiRoute[] {
  const deliveriesOf = async (eventId: string): Promise<DeliveryResponse[]> =>
    (await deliveries.listForEvent(eventId)).map(toPublicDelivery);
  return [
    defineRoute({
      method: 'GET',
      path: '/events',
      query: listEventsQuery,
      handle: async (request) => {
        const { merchantId } = merchantOf(request);
        const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId });
        const page = await events.list({
          merchantId,
          limit: request.query.limit,
          ...(request.query.type === undefined ? {} : { type: request.query.type }),
          ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
        });
        const items = await mapWithConcurrency(page.events, DELIVERY_READS_IN_PARALLEL, async (event) =>
          toPublicEvent(event, await deliveriesOf(event.id)),
        );
        return pageResult(request.location, {
          items,
          nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, after: page.lastId },
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/events/{id}',
      handle: async (request) => {
        const id = request.pathParameters.id ?? '';
        const event = await events.getOwned(merchantOf(request).merchantId, id);
        if (event === undefined) throw new NotFoundError('event', id, 'id');
        return { status: 200, body: toPublicEvent(event, await deliveriesOf(event.id)) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/events/{id}/redeliver',
      handle: async (request) => {
        const id = request.pathParameters.id ?? '';
        const event = await events.getOwned(merchantOf(request).merchantId, id);
        if (event === undefined) throw new NotFoundError('event', id, 'id');
        // The redelivery happens once per id however often the fan-out message arrives; seeded by the
        // idempotency record, the id stays the same when a retry of this request takes it over.
        await queue.send('webhookFanout', JSON.stringify({ event_id: event.id, redelivery_id: request.newId('redelivery') }));
        return { status: 200, body: { event_id: event.id, status: 'scheduled' } };
      },
    }),
  ];
}

const tableName = tableNameFromEnv();
const queue: QueueSender = new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookFanout']));

export const handler = createApiHandler(
  eventRoutes({
    events: new EventRepository(dynamoDocumentClient, tableName),
    deliveries: new DeliveryStore(dynamoDocumentClient, tableName, new OutboxStore(dynamoDocumentClient, tableName, queue)),
    queue,
  }),
);
