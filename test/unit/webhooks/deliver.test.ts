import { describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GatewayEvent } from '../../../functions/core/event.ts';
import { deliverAttempt, type DeliverDependencies } from '../../../functions/webhooks/deliver.ts';
import { DeliveryReader } from '../../../functions/adapters/webhook-delivery-reader.ts';
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryMessage,
  DeliveryStatus,
  PostOutcome,
  WebhookEndpoint,
} from '../../../functions/webhooks/ports.ts';
import { RetrySchedule } from '../../../functions/webhooks/retry-schedule.ts';
import { generateSigningSecret } from '../../../functions/webhooks/signing.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const SECRET = generateSigningSecret();

const event: GatewayEvent = { id: 'evt_1', type: 'payment.captured', merchantId: 'mer_a', created: new Date(NOW).toISOString(), data: {} };
const endpoint: WebhookEndpoint = {
  endpointId: 'we_1',
  merchantId: 'mer_a',
  url: 'https://hooks.example.com/hook',
  events: ['*'],
  status: 'enabled',
  disabledReason: undefined,
  sealedSecret: 'sealed',
  created: new Date(NOW).toISOString(),
};

const pendingDelivery = (overrides: Partial<Delivery> = {}): Delivery => ({
  eventId: event.id,
  endpointId: endpoint.endpointId,
  merchantId: 'mer_a',
  status: 'pending',
  round: 1,
  nextAttempt: 1,
  nextAttemptAt: NOW,
  attempts: [],
  failureReason: undefined,
  lastRedeliveryId: undefined,
  ...overrides,
});

const messageFor = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  merchant_id: 'mer_a',
  event_id: event.id,
  endpoint_id: endpoint.endpointId,
  round: 1,
  attempt: 1,
  ...overrides,
});

type RecordedChange = { attempt: DeliveryAttempt; status: DeliveryStatus; failureReason?: string; retryInMs?: number };

/** Fakes for every dependency; each knob says what the real one would answer. */
function harness(options: {
  delivery: Delivery | undefined;
  recordAccepted?: boolean;
  eventFound?: boolean;
  answer?: PostOutcome;
  delaysSeconds?: readonly number[];
}) {
  const posts: string[] = [];
  const recorded: RecordedChange[] = [];
  const queue = new RecordingQueueSender();
  const dependencies: DeliverDependencies = {
    endpoints: { disable: async () => undefined },
    deliveries: {
      record: async (_message, change) => {
        recorded.push(change);
        return options.recordAccepted !== false;
      },
    },
    secrets: { open: async () => SECRET },
    poster: {
      post: async (url) => {
        posts.push(url);
        return options.answer ?? { statusCode: 200, latencyMs: 5, error: null };
      },
    },
    queue,
    schedule: new RetrySchedule(options.delaysSeconds ?? [5, 300], () => 0.5),
    now: () => NOW,
  };
  const context = { event: options.eventFound === false ? undefined : event, delivery: options.delivery, endpoint };
  return { dependencies, context, posts, recorded, queue };
}

describe('deliverAttempt', () => {
  it('POSTs a due attempt and records its success', async () => {
    const { dependencies, context, posts, recorded } = harness({ delivery: pendingDelivery() });

    const outcome = await deliverAttempt(dependencies, messageFor(), context, { redelivered: false });

    expect(outcome).toBe('succeeded');
    expect(posts).toEqual([endpoint.url]);
    expect(recorded.map((change) => change.status)).toEqual(['succeeded']);
  });

  it('POSTs the first attempt before any delivery is recorded, and records it', async () => {
    const { dependencies, context, posts, recorded } = harness({ delivery: undefined });

    const outcome = await deliverAttempt(dependencies, messageFor(), context, { redelivered: false });

    expect(outcome).toBe('succeeded');
    expect(posts).toEqual([endpoint.url]);
    expect(recorded.map((change) => change.status)).toEqual(['succeeded']);
  });

  it('sends a message not yet due on again, delayed by at most one SQS hop, without POSTing', async () => {
    const { dependencies, context, posts, queue } = harness({ delivery: pendingDelivery({ nextAttemptAt: NOW + 3_600_000 }) });

    const outcome = await deliverAttempt(dependencies, messageFor(), context, { redelivered: false });

    expect(outcome).toBe('not_due');
    expect(posts).toEqual([]);
    expect(queue.sent).toEqual([{ queue: 'webhookDelivery', body: messageFor(), delaySeconds: 900 }]);
  });

  it('schedules a failed attempt\'s retry after recording it, as a delayed message for the next attempt', async () => {
    const { dependencies, context, recorded, queue } = harness({ delivery: pendingDelivery(), answer: { statusCode: 503, latencyMs: 5, error: null } });

    const outcome = await deliverAttempt(dependencies, messageFor(), context, { redelivered: false });

    expect(outcome).toBe('retry_scheduled');
    expect(recorded).toMatchObject([{ status: 'pending', retryInMs: 5_000 }]);
    expect(queue.sent).toEqual([{ queue: 'webhookDelivery', body: messageFor({ attempt: 2 }), delaySeconds: 5 }]);
  });

  it('sends the next attempt\'s message when it comes back one attempt behind (its worker died after recording)', async () => {
    const { dependencies, context, posts, recorded, queue } = harness({ delivery: pendingDelivery({ nextAttempt: 2, nextAttemptAt: NOW + 4_000 }) });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt: 1 }), context, { redelivered: true });

    expect(outcome).toBe('next_resent');
    expect(posts).toEqual([]);
    expect(recorded).toEqual([]);
    expect(queue.sent).toEqual([{ queue: 'webhookDelivery', body: messageFor({ attempt: 2 }), delaySeconds: 4 }]);
  });

  it.each([
    ['an older round', pendingDelivery({ round: 2 }), messageFor({ round: 1 })],
    ['an attempt made two attempts ago', pendingDelivery({ nextAttempt: 3 }), messageFor({ attempt: 1 })],
    ['a copy of the attempt just made, received for the first time', pendingDelivery({ nextAttempt: 2 }), messageFor({ attempt: 1 })],
    ['a finished delivery', pendingDelivery({ status: 'succeeded' }), messageFor()],
    ['a later round with no delivery recorded', undefined, messageFor({ round: 2 })],
  ])('drops a stale message (%s)', async (_case, delivery, message) => {
    const { dependencies, context, posts } = harness({ delivery });

    const outcome = await deliverAttempt(dependencies, message, context, { redelivered: false });

    expect(outcome).toBe('stale');
    expect(posts).toEqual([]);
  });

  it('fails the last attempt as retries_exhausted, for the dead-letter queue', async () => {
    const { dependencies, context, recorded } = harness({
      delivery: pendingDelivery({ nextAttempt: 3 }),
      answer: { statusCode: 500, latencyMs: 5, error: null },
      delaysSeconds: [5, 300],
    });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt: 3 }), context, { redelivered: false });

    expect(outcome).toBe('dead_letter');
    expect(recorded).toMatchObject([{ status: 'failed', failureReason: 'retries_exhausted' }]);
  });

  it('keeps the last attempt’s own message on its way to the dead-letter queue when it comes back', async () => {
    const delivery = pendingDelivery({ status: 'failed', failureReason: 'retries_exhausted', nextAttempt: 3 });
    const { dependencies, context, posts } = harness({ delivery });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt: 3 }), context, { redelivered: false });

    expect(outcome).toBe('dead_letter');
    expect(posts).toEqual([]);
  });

  it.each([
    ['a success', { statusCode: 200, latencyMs: 5, error: null }, 1],
    ['the last failure', { statusCode: 500, latencyMs: 5, error: null }, 3],
    ['a failure to retry', { statusCode: 500, latencyMs: 5, error: null }, 1],
  ])('reports a duplicate, schedules nothing, when recording %s loses to another copy of the message', async (_case, answer, attempt) => {
    const { dependencies, context, recorded, queue } = harness({ delivery: pendingDelivery({ nextAttempt: attempt }), answer, recordAccepted: false });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt }), context, { redelivered: false });

    expect(outcome).toBe('duplicate');
    expect(recorded).toHaveLength(1);
    expect(queue.sent).toEqual([]);
  });

  it('throws, recording nothing, when the event cannot be read: the message comes back instead of failing the delivery', async () => {
    const { dependencies, context, posts, recorded } = harness({ delivery: pendingDelivery(), eventFound: false });

    await expect(deliverAttempt(dependencies, messageFor(), context, { redelivered: false })).rejects.toThrow(/evt_1/);
    expect(posts).toEqual([]);
    expect(recorded).toEqual([]);
  });
});

describe('the read the delivery worker relies on', () => {
  it('is strongly consistent and one request for a batch: the fan-out may have recorded the event a moment ago', async () => {
    // Arrange
    const sent: unknown[] = [];
    const db = { send: async (command: { input: unknown }) => (sent.push(command.input), { Responses: {} }) };
    const reader = new DeliveryReader(db as unknown as DynamoDBDocumentClient, 'table');

    // Act
    await reader.read([messageFor(), messageFor({ endpoint_id: 'we_2' }), messageFor({ event_id: 'evt_2' })]);

    // Assert
    expect(sent).toMatchObject([{ RequestItems: { table: { ConsistentRead: true } } }]);
  });
});
