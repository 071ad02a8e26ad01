import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../functions/core/event.ts';
import { fanOutEvents, redeliverEvent, type FanoutDependencies } from '../../../functions/webhooks/fanout.ts';
import type { Delivery, RecordedEvent, WebhookEndpoint } from '../../../functions/webhooks/ports.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';

const NOW = Date.parse('2030-01-01T12:00:00Z');

const endpoint = (id: string, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  endpointId: id,
  merchantId: 'mer_a',
  url: `https://hooks.example.com/${id}`,
  events: ['*'],
  status: 'enabled',
  disabledReason: undefined,
  sealedSecret: 'sealed',
  created: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

const event = (id: string, type = 'payment.captured'): GatewayEvent => ({
  id,
  type,
  merchantId: 'mer_a',
  created: '2030-01-01T10:00:00.000Z',
  data: { transaction_id: 'txn_1' },
});

const finished = (endpointId: string, overrides: Partial<Delivery> = {}): Delivery => ({
  eventId: 'evt_1',
  endpointId,
  merchantId: 'mer_a',
  status: 'succeeded',
  round: 1,
  nextAttempt: 1,
  nextAttemptAt: NOW,
  attempts: [{ attempt: 1, at: '2030-01-01T10:00:01.000Z', statusCode: 204, latencyMs: 4, error: null }],
  failureReason: undefined,
  lastRedeliveryId: undefined,
  ...overrides,
});

function harness(endpoints: readonly WebhookEndpoint[], recorded?: RecordedEvent) {
  const queue = new RecordingQueueSender();
  const written: { event: GatewayEvent; endpointIds: readonly string[] }[] = [];
  const restarts: { endpointId: string; previousRound: number }[] = [];
  const dependencies: FanoutDependencies = {
    events: {
      record: async (events) => {
        written.push(...events);
      },
      getOwned: async () => recorded,
    },
    endpointsOf: async () => endpoints,
    deliveries: {
      restart: async (ids, previousRound) => {
        restarts.push({ endpointId: ids.endpointId, previousRound });
        return true;
      },
    },
    queue,
    now: () => NOW,
  };
  return { dependencies, queue, written, restarts };
}

describe('fanOutEvents', () => {
  it('records each event with the endpoints it goes to, and sends each delivery its first message', async () => {
    // Arrange
    const { dependencies, queue, written } = harness([
      endpoint('we_all'),
      endpoint('we_settled', { events: ['payment.settled'] }),
      endpoint('we_off', { status: 'disabled' }),
    ]);

    // Act
    const outcome = await fanOutEvents(dependencies, [event('evt_1'), event('evt_2', 'payment.settled')]);

    // Assert
    expect(written.map(({ event: recorded, endpointIds }) => [recorded.id, endpointIds])).toEqual([
      ['evt_1', ['we_all']],
      ['evt_2', ['we_all', 'we_settled']],
    ]);
    expect(queue.sent.map((message) => message.body)).toEqual([
      { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_all', round: 1, attempt: 1 },
      { merchant_id: 'mer_a', event_id: 'evt_2', endpoint_id: 'we_all', round: 1, attempt: 1 },
      { merchant_id: 'mer_a', event_id: 'evt_2', endpoint_id: 'we_settled', round: 1, attempt: 1 },
    ]);
    expect(outcome).toEqual({ recorded: 2, deliveries: 3 });
  });

  it('records and delivers an event once when a batch holds it twice (it was published again)', async () => {
    // Arrange
    const { dependencies, queue, written } = harness([endpoint('we_all')]);

    // Act
    await fanOutEvents(dependencies, [event('evt_1'), event('evt_2'), event('evt_1')]);

    // Assert
    expect(written.map(({ event: recorded }) => recorded.id)).toEqual(['evt_1', 'evt_2']);
    expect(queue.sent).toHaveLength(2);
  });

  it('sends an endpoint nothing that happened before it was registered, even when the event is published again', async () => {
    // Arrange
    const { dependencies, queue, written } = harness([endpoint('we_later', { created: '2030-01-01T11:00:00.000Z' })]);

    // Act
    await fanOutEvents(dependencies, [event('evt_1')]);

    // Assert
    expect(written[0]?.endpointIds).toEqual([]);
    expect(queue.sent).toEqual([]);
  });
});

describe('redeliverEvent', () => {
  const message = { merchant_id: 'mer_a', event_id: 'evt_1', redelivery_id: 'rdl_1' };

  it('starts a new round for finished deliveries and a first one for endpoints that never had the event', async () => {
    // Arrange
    const recorded: RecordedEvent = { event: event('evt_1'), deliveries: [finished('we_done', { round: 2 })] };
    const { dependencies, queue, restarts } = harness([endpoint('we_done'), endpoint('we_new')], recorded);

    // Act
    await redeliverEvent(dependencies, message);

    // Assert
    expect(restarts).toEqual([
      { endpointId: 'we_done', previousRound: 2 },
      { endpointId: 'we_new', previousRound: 0 },
    ]);
    expect(queue.sent.map((sent) => sent.body)).toEqual([
      { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_done', round: 3, attempt: 1 },
      { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_new', round: 1, attempt: 1 },
    ]);
  });

  it('restarts a delivery stuck pending long past its due time (its message is in the dead-letter queue)', async () => {
    // Arrange
    const recorded: RecordedEvent = {
      event: event('evt_1'),
      deliveries: [finished('we_stuck', { status: 'pending', nextAttempt: 3, nextAttemptAt: NOW - 2 * 3_600_000 })],
    };
    const { dependencies, queue, restarts } = harness([endpoint('we_stuck')], recorded);

    // Act
    await redeliverEvent(dependencies, message);

    // Assert
    expect(restarts).toEqual([{ endpointId: 'we_stuck', previousRound: 1 }]);
    expect(queue.sent.map((sent) => sent.body)).toEqual([
      { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_stuck', round: 2, attempt: 1 },
    ]);
  });

  it('leaves a delivery under way alone, and sends again the first message of a round this request started', async () => {
    // Arrange
    const recorded: RecordedEvent = {
      event: event('evt_1'),
      deliveries: [
        finished('we_busy', { status: 'pending', nextAttempt: 2 }),
        finished('we_started', { status: 'pending', round: 2, nextAttempt: 1, attempts: [], lastRedeliveryId: 'rdl_1' }),
      ],
    };
    const { dependencies, queue, restarts } = harness([endpoint('we_busy'), endpoint('we_started')], recorded);

    // Act
    await redeliverEvent(dependencies, message);

    // Assert
    expect(restarts).toEqual([]);
    expect(queue.sent.map((sent) => sent.body)).toEqual([
      { merchant_id: 'mer_a', event_id: 'evt_1', endpoint_id: 'we_started', round: 2, attempt: 1 },
    ]);
  });
});
