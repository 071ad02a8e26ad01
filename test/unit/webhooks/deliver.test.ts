import { describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventRepository } from '../../../functions/adapters/event-repository.ts';
import type { GatewayEvent } from '../../../functions/adapters/outbox.ts';
import { deliverAttempt, type DeliverDependencies } from '../../../functions/webhooks/deliver.ts';
import type { Delivery, DeliveryAttempt, DeliveryMessage, DeliveryStatus } from '../../../functions/webhooks/delivery-store.ts';
import type { WebhookEndpoint } from '../../../functions/webhooks/endpoint-store.ts';
import type { PostOutcome } from '../../../functions/webhooks/http-post.ts';
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
  claimedUntil: undefined,
  version: 3,
  ...overrides,
});

const messageFor = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  event_id: event.id,
  endpoint_id: endpoint.endpointId,
  round: 1,
  attempt: 1,
  ...overrides,
});

type RecordedChange = { attempt: DeliveryAttempt; status: DeliveryStatus; failureReason?: string; retryInMs?: number };

/** Fakes for every dependency; each knob says what the real one would answer. */
function harness(options: {
  delivery: Delivery;
  claimed?: boolean;
  recordAccepted?: boolean;
  eventFound?: boolean;
  answer?: PostOutcome;
  delaysSeconds?: readonly number[];
}) {
  const posts: string[] = [];
  const recorded: RecordedChange[] = [];
  const queue = new RecordingQueueSender();
  const dependencies: DeliverDependencies = {
    events: { get: async () => (options.eventFound === false ? undefined : event) },
    endpoints: { get: async () => endpoint, disable: async () => undefined },
    deliveries: {
      get: async () => options.delivery,
      claim: async (delivery) => (options.claimed === false ? undefined : delivery.version + 1),
      record: async (_delivery, _version, change) => {
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
    claimMs: 45_000,
  };
  return { dependencies, posts, recorded, queue };
}

describe('deliverAttempt', () => {
  it('POSTs a due attempt and records its success', async () => {
    const { dependencies, posts, recorded } = harness({ delivery: pendingDelivery() });

    const outcome = await deliverAttempt(dependencies, messageFor());

    expect(outcome).toBe('succeeded');
    expect(posts).toEqual([endpoint.url]);
    expect(recorded.map((change) => change.status)).toEqual(['succeeded']);
  });

  it('sends a message not yet due on again, delayed by at most one SQS hop, without POSTing', async () => {
    const { dependencies, posts, queue } = harness({ delivery: pendingDelivery({ nextAttemptAt: NOW + 3_600_000 }) });

    const outcome = await deliverAttempt(dependencies, messageFor());

    expect(outcome).toBe('not_due');
    expect(posts).toEqual([]);
    expect(queue.sent).toEqual([{ queue: 'webhookDelivery', body: messageFor(), delaySeconds: 900 }]);
  });

  it('leaves an attempt another worker has claimed to that worker', async () => {
    const { dependencies, posts, recorded } = harness({ delivery: pendingDelivery(), claimed: false });

    const outcome = await deliverAttempt(dependencies, messageFor());

    expect(outcome).toBe('busy');
    expect(posts).toEqual([]);
    expect(recorded).toEqual([]);
  });

  it.each([
    ['an older round', pendingDelivery({ round: 2 }), messageFor({ round: 1 })],
    ['an attempt already made', pendingDelivery({ nextAttempt: 2 }), messageFor({ attempt: 1 })],
    ['a finished delivery', pendingDelivery({ status: 'succeeded' }), messageFor()],
  ])('drops a stale message (%s)', async (_case, delivery, message) => {
    const { dependencies, posts } = harness({ delivery });

    const outcome = await deliverAttempt(dependencies, message);

    expect(outcome).toBe('stale');
    expect(posts).toEqual([]);
  });

  it('fails the last attempt as retries_exhausted, for the dead-letter queue', async () => {
    const { dependencies, recorded } = harness({
      delivery: pendingDelivery({ nextAttempt: 3 }),
      answer: { statusCode: 500, latencyMs: 5, error: null },
      delaysSeconds: [5, 300],
    });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt: 3 }));

    expect(outcome).toBe('dead_letter');
    expect(recorded).toMatchObject([{ status: 'failed', failureReason: 'retries_exhausted' }]);
  });

  it('keeps the last attempt’s own message on its way to the dead-letter queue when it comes back', async () => {
    const delivery = pendingDelivery({ status: 'failed', failureReason: 'retries_exhausted', nextAttempt: 3 });
    const { dependencies, posts } = harness({ delivery });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt: 3 }));

    expect(outcome).toBe('dead_letter');
    expect(posts).toEqual([]);
  });

  it.each([
    ['a success', { statusCode: 200, latencyMs: 5, error: null }, 1],
    ['the last failure', { statusCode: 500, latencyMs: 5, error: null }, 3],
    ['a failure to retry', { statusCode: 500, latencyMs: 5, error: null }, 1],
  ])('reports busy, not the outcome, when recording %s loses to another worker', async (_case, answer, attempt) => {
    const { dependencies, recorded } = harness({ delivery: pendingDelivery({ nextAttempt: attempt }), answer, recordAccepted: false });

    const outcome = await deliverAttempt(dependencies, messageFor({ attempt }));

    expect(outcome).toBe('busy');
    expect(recorded).toHaveLength(1);
  });

  it('throws, recording nothing, when the event cannot be read: the message comes back instead of failing the delivery', async () => {
    const { dependencies, posts, recorded } = harness({ delivery: pendingDelivery(), eventFound: false });

    await expect(deliverAttempt(dependencies, messageFor())).rejects.toThrow(/evt_1/);
    expect(posts).toEqual([]);
    expect(recorded).toEqual([]);
  });
});

describe('the event read the fan-out and the delivery worker rely on', () => {
  it('is strongly consistent: the relay may have written the event a moment ago', async () => {
    const sent: unknown[] = [];
    const db = { send: async (command: { input: unknown }) => (sent.push(command.input), { Item: undefined }) };
    const repository = new EventRepository(db as unknown as DynamoDBDocumentClient, 'table');

    await repository.get('evt_1');

    expect(sent).toMatchObject([{ ConsistentRead: true }]);
  });
});
