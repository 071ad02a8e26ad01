import { beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../functions/adapters/outbox.ts';
import type { EventRoutesDependencies } from '../../../functions/api/events.ts';
import { newUlid } from '../../../functions/core/ids.ts';
import type { ApiHandler } from '../../../functions/http/handler.ts';
import { hashRequest } from '../../../functions/http/idempotency.ts';
import { env } from '../../../lib/topology.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';
import { apiEvent, lambdaContext, merchant } from '../http/api-event.ts';
import { MemoryIdempotencyRecords } from '../http/memory-idempotency.ts';

const eventOf = (n: number): GatewayEvent => ({
  id: `evt_${String(n).padStart(26, '0')}`,
  type: 'payment.captured',
  merchantId: merchant.merchantId,
  created: '2030-01-01T00:00:00.000Z',
  data: {},
});

/** Events from a list, deliveries that answer after a few turns of the event loop, counting how many run at once. */
function fakes(events: readonly GatewayEvent[]) {
  const reads = { running: 0, mostRunning: 0 };
  const queue = new RecordingQueueSender();
  const dependencies: EventRoutesDependencies = {
    events: {
      list: async () => ({ events, lastId: undefined }),
      getOwned: async (_merchantId, eventId) => events.find((event) => event.id === eventId),
    },
    deliveries: {
      listForEvent: async () => {
        reads.running += 1;
        reads.mostRunning = Math.max(reads.mostRunning, reads.running);
        for (let tick = 0; tick < 5; tick += 1) await Promise.resolve();
        reads.running -= 1;
        return [];
      },
    },
    queue,
  };
  return { dependencies, reads, queue };
}

describe('event routes', () => {
  const events = Array.from({ length: 100 }, (_, n) => eventOf(n));
  const { dependencies, reads, queue } = fakes(events);
  const idempotencyRecords = new MemoryIdempotencyRecords();
  let handler: ApiHandler;

  beforeAll(async () => {
    process.env.TABLE_NAME ??= 'unit-test';
    process.env[env.queueUrl('webhookFanout')] ??= 'http://localhost/queue/webhook-fanout';
    const { eventRoutes } = await import('../../../functions/api/events.ts');
    const { createApiHandler } = await import('../../../functions/http/handler.ts');
    handler = createApiHandler(eventRoutes(dependencies), { idempotencyRecords: () => idempotencyRecords });
  });

  it('reads the deliveries of a page of events a few at a time, not all at once', async () => {
    const response = await handler(apiEvent('GET', '/events', { caller: merchant, query: { limit: '100' } }), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toHaveLength(100);
    expect(reads.mostRunning).toBeGreaterThan(1);
    expect(reads.mostRunning).toBeLessThanOrEqual(10);
  });

  it('names a redelivery after the idempotency record, so a take-over retry redelivers the same one', async () => {
    const eventId = events[0]?.id ?? '';
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
    expect(queue.sent).toEqual([{ queue: 'webhookFanout', body: { event_id: eventId, redelivery_id: `rdl_${seed}` }, delaySeconds: undefined }]);
  });
});
