/** The fan-out worker built from fakes: no environment, no table, no queue, and a clock the test sets. */
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../functions/core/event.ts';
import { STUCK_AFTER_MS } from '../../../functions/webhooks/fanout.ts';
import { makeWebhookFanoutHandler } from '../../../functions/webhooks/fanout-worker.ts';
import type { WebhookEndpoint } from '../../../functions/webhooks/ports.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../../support/sqs-event.ts';

const NOW = Date.parse('2030-01-01T12:00:00Z');

const endpoint = (id: string, merchantId: string): WebhookEndpoint => ({
  endpointId: id,
  merchantId,
  url: `https://hooks.example.com/${id}`,
  events: ['*'],
  status: 'enabled',
  disabledReason: undefined,
  sealedSecret: 'sealed',
  created: '2030-01-01T00:00:00.000Z',
});

const event = (id: string, merchantId: string): GatewayEvent => ({
  id,
  type: 'payment.captured',
  merchantId,
  created: '2030-01-01T11:59:59.000Z',
  data: { transaction_id: 'txn_1' },
});

function harness(options: { recordFails?: boolean } = {}) {
  const queue = new RecordingQueueSender();
  const recorded: { eventIds: string[]; recordedAt: number }[] = [];
  const endpointReads: string[] = [];
  const restarts: { endpointId: string; now: number; stuckBefore: number }[] = [];
  const handler = makeWebhookFanoutHandler({
    events: {
      record: async (events, recordedAt) => {
        if (options.recordFails === true) throw new Error('table unavailable');
        recorded.push({ eventIds: events.map(({ event: { id } }) => id), recordedAt });
      },
      getOwned: async (merchantId, eventId) => ({ event: event(eventId, merchantId), deliveries: [] }),
    },
    endpoints: {
      listAll: async (merchantId) => {
        endpointReads.push(merchantId);
        return [endpoint(`we_${merchantId}`, merchantId)];
      },
    },
    deliveries: {
      restart: async (ids, _previousRound, now, stuckBefore) => {
        restarts.push({ endpointId: ids.endpointId, now, stuckBefore });
        return true;
      },
    },
    queue,
    now: () => NOW,
  });
  return { handler, queue, recorded, endpointReads, restarts };
}

describe('the webhook fan-out worker', () => {
  it("records a batch's events together at the time of its clock, reading each merchant's endpoints once", async () => {
    // Arrange
    const { handler, queue, recorded, endpointReads } = harness();

    // Act
    const response = await handler(
      sqsEvent(
        sqsRecord('m1', { events: [event('evt_1', 'mer_a'), event('evt_2', 'mer_b')] }),
        sqsRecord('m2', { events: [event('evt_3', 'mer_a')] }),
      ),
      lambdaContext,
    );

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(recorded).toEqual([{ eventIds: ['evt_1', 'evt_2', 'evt_3'], recordedAt: NOW }]);
    expect(endpointReads.sort()).toEqual(['mer_a', 'mer_b']);
    expect(queue.sent.map(({ queue: name, body }) => [name, body])).toEqual([
      ['webhookDelivery', { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_mer_a', round: 1, attempt: 1 }],
      ['webhookDelivery', { merchant_id: 'mer_b', event_id: 'evt_2', endpoint_id: 'we_mer_b', round: 1, attempt: 1 }],
      ['webhookDelivery', { merchant_id: 'mer_a', event_id: 'evt_3', endpoint_id: 'we_mer_a', round: 1, attempt: 1 }],
    ]);
  });

  it('restarts the deliveries a redelivery request names, judging what is stuck by its clock', async () => {
    // Arrange
    const { handler, queue, restarts } = harness();

    // Act
    await handler(sqsEvent(sqsRecord('m1', { merchant_id: 'mer_a', event_id: 'evt_1', redelivery_id: 'rdl_1' })), lambdaContext);

    // Assert
    expect(restarts).toEqual([{ endpointId: 'we_mer_a', now: NOW, stuckBefore: NOW - STUCK_AFTER_MS }]);
    expect(queue.sent.map(({ body }) => body)).toEqual([{ merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_mer_a', round: 1, attempt: 1 }]);
  });

  it('fails a malformed message alone, and every message of the batch when its events cannot be recorded', async () => {
    // Arrange
    const healthy = harness();
    const failing = harness({ recordFails: true });
    const batch = sqsEvent(sqsRecord('good', { events: [event('evt_1', 'mer_a')] }), sqsRecord('bad', { events: [] }));

    // Act
    const partly = await healthy.handler(batch, lambdaContext);
    const wholly = await failing.handler(batch, lambdaContext).catch((error: unknown) => error);

    // Assert
    expect(partly).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(wholly).toBeInstanceOf(Error);
    expect(failing.queue.sent).toEqual([]);
  });
});
