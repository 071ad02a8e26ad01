import { beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../functions/adapters/event-repository.ts';
import type { EventRoutesDependencies } from '../../../functions/wiring/events.ts';
import { newUlid } from '../../../functions/core/ids.ts';
import type { ApiHandler } from '../../../functions/http/handler.ts';
import { hashRequest } from '../../../functions/idempotency/execute-idempotently.ts';
import { env } from '../../../lib/topology.ts';
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

function fakes(events: readonly RecordedEvent[]) {
  const queue = new RecordingQueueSender();
  const dependencies: EventRoutesDependencies = {
    events: {
      list: async () => ({ events, lastId: undefined }),
      getOwned: async (_merchantId, eventId) => events.find((recorded) => recorded.event.id === eventId),
    },
    queue,
  };
  return { dependencies, queue };
}

describe('event routes', () => {
  const events = Array.from({ length: 100 }, (_, n) => eventOf(n));
  const { dependencies, queue } = fakes(events);
  const idempotencyRecords = new MemoryIdempotencyRecords();
  let handler: ApiHandler;

  beforeAll(async () => {
    process.env.TABLE_NAME ??= 'unit-test';
    process.env[env.queueUrl('webhookFanout')] ??= 'http://localhost/queue/webhook-fanout';
    const { eventRoutes } = await import('../../../functions/wiring/events.ts');
    const { createApiHandler } = await import('../../../functions/http/handler.ts');
    handler = createApiHandler(eventRoutes(dependencies), memoryPipeline(idempotencyRecords));
  });

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
});
