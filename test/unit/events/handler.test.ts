import { describe, expect, it } from 'vitest';
import { newUlid } from '../../../functions/core/ids.ts';
import { makeEventsHandler } from '../../../functions/events/handler.ts';
import type { RecordedEvents } from '../../../functions/events/ports.ts';
import type { RecordedEvent } from '../../../functions/webhooks/ports.ts';
import { hashRequest } from '../../../functions/idempotency/execute-idempotently.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';
import { apiEvent, lambdaContext, merchant } from '../http/api-event.ts';
import { MemoryIdempotencyRecords, memoryPipeline } from '../http/memory-idempotency.ts';

const eventOf = (n: number): RecordedEvent => ({
  event: {
    id: `evt_${String(n).padStart(26, '0')}`,
    type: 'payment.captured',
    merchantId: merchant.merchantId,
    created: '2030-01-01T00:00:00.000Z',
    data: {},
  },
  deliveries: [
    {
      eventId: `evt_${String(n).padStart(26, '0')}`,
      endpointId: 'we_1',
      merchantId: merchant.merchantId,
      status: 'pending',
      round: 1,
      nextAttempt: 1,
      nextAttemptAt: Date.parse('2030-01-01T00:00:01.000Z'),
      attempts: [],
      failureReason: undefined,
      lastRedeliveryId: undefined,
    },
  ],
});

/** The merchant's recorded events in memory: another merchant's are not found, as in the table. */
function recordedEvents(events: readonly RecordedEvent[]): RecordedEvents {
  return {
    list: async () => ({ events, lastId: undefined }),
    getOwned: async (merchantId, eventId) => events.find((recorded) => recorded.event.id === eventId && recorded.event.merchantId === merchantId),
  };
}

describe('event routes', () => {
  const events = Array.from({ length: 100 }, (_, n) => eventOf(n));
  const queue = new RecordingQueueSender();
  const idempotencyRecords = new MemoryIdempotencyRecords();
  const handler = makeEventsHandler({ events: recordedEvents(events), queue, ...memoryPipeline(idempotencyRecords) });

  it('shows each event of a page with its deliveries, a delivery not yet attempted as due', async () => {
    const response = await handler(apiEvent('GET', '/events', { caller: merchant, query: { limit: '100' } }), lambdaContext);

    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { deliveries: unknown[] }[];
    expect(body).toHaveLength(100);
    expect(body[0]?.deliveries).toEqual([
      { endpoint_id: 'we_1', status: 'pending', failure_reason: null, next_attempt_at: '2030-01-01T00:00:01.000Z', attempts: [] },
    ]);
  });

  it('names a redelivery after the idempotency record, so a take-over retry redelivers the same one', async () => {
    const eventId = events[0]?.event.id ?? '';
    const path = `/events/${eventId}/redeliver`;
    // A first request under this key died mid-way: its record is locked no longer and keeps its seed.
    const seed = newUlid();
    const scope = { merchantId: merchant.merchantId, key: 'redeliver-once' };
    await idempotencyRecords.reserve(scope, { requestHash: hashRequest('POST', path, ''), lockedUntil: 0, seed });

    const response = await handler(
      apiEvent('POST', '/events/{id}/redeliver', {
        caller: merchant,
        path,
        pathParameters: { id: eventId },
        headers: { 'Idempotency-Key': scope.key },
      }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(200);
    expect(queue.sent).toEqual([{ queue: 'webhookFanout', body: { merchant_id: merchant.merchantId, event_id: eventId, redelivery_id: `rdl_${seed}` }, delaySeconds: undefined }]);
  });

  it("answers 404 for another merchant's event and asks the fan-out for nothing", async () => {
    const eventId = events[1]?.event.id ?? '';
    const otherMerchant = { ...merchant, merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0Z' };
    const sentBefore = queue.sent.length;

    const response = await handler(
      apiEvent('POST', '/events/{id}/redeliver', { caller: otherMerchant, path: `/events/${eventId}/redeliver`, pathParameters: { id: eventId } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(404);
    expect(queue.sent).toHaveLength(sentBefore);
  });
});
