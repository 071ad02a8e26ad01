/**
 * The delivery worker built from fakes: no environment, no table, no KMS, no network, and a clock the test
 * moves forward instead of waiting out a retry.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../functions/core/event.ts';
import { makeWebhookDeliveryHandler } from '../../../functions/webhooks/delivery-worker.ts';
import type { AttemptRecord, Delivery, DeliveryContext, DeliveryMessage, WebhookEndpoint } from '../../../functions/webhooks/ports.ts';
import { RetrySchedule } from '../../../functions/webhooks/retry-schedule.ts';
import { generateSigningSecret } from '../../../functions/webhooks/signing.ts';
import { captureLogs } from '../http/capture-logs.ts';
import { RecordingQueueSender } from '../../support/recording-queue.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../../support/sqs-event.ts';

const START = Date.parse('2030-01-01T12:00:00Z');
const PAYLOAD_MARKER = 'only-the-receiver-sees-this';

const event = (id: string): GatewayEvent => ({
  id,
  type: 'payment.captured',
  merchantId: 'mer_a',
  created: new Date(START).toISOString(),
  data: { note: PAYLOAD_MARKER },
});

const endpoint = (id: string): WebhookEndpoint => ({
  endpointId: id,
  merchantId: 'mer_a',
  url: `https://hooks.example.com/${id}`,
  events: ['*'],
  status: 'enabled',
  disabledReason: undefined,
  sealedSecret: 'sealed',
  created: new Date(START).toISOString(),
});

const delivery = (eventId: string, endpointId: string, overrides: Partial<Delivery>): Delivery => ({
  eventId,
  endpointId,
  merchantId: 'mer_a',
  status: 'pending',
  round: 1,
  nextAttempt: 1,
  nextAttemptAt: START,
  attempts: [],
  failureReason: undefined,
  lastRedeliveryId: undefined,
  ...overrides,
});

const message = (eventId: string, endpointId: string, attempt: number): DeliveryMessage => ({
  merchant_id: 'mer_a',
  event_id: eventId,
  endpoint_id: endpointId,
  round: 1,
  attempt,
});

/** A worker whose batch read finds `contexts` (by `event|endpoint`), and whose endpoints answer `statusOf`. */
function harness(contexts: Record<string, DeliveryContext>, statusOf: (url: string) => number = () => 200) {
  let now = START;
  const queue = new RecordingQueueSender();
  const reads: DeliveryMessage[][] = [];
  const posts: { url: string; timestamp: string | undefined }[] = [];
  const recorded: AttemptRecord[] = [];
  const visibilityChanges: [string, number][] = [];
  const handler = makeWebhookDeliveryHandler({
    contexts: {
      read: async (messages) => {
        reads.push([...messages]);
        return new Map(Object.entries(contexts));
      },
    },
    endpoints: { disable: async () => undefined },
    deliveries: {
      record: async (_message, change) => {
        recorded.push(change);
        return true;
      },
    },
    secrets: { open: async () => generateSigningSecret() },
    poster: {
      post: async (url, _body, headers) => {
        posts.push({ url, timestamp: headers['webhook-timestamp'] });
        return { statusCode: statusOf(url), latencyMs: 3, error: null };
      },
    },
    queue,
    schedule: new RetrySchedule([5, 300], () => 0.5),
    now: () => now,
    changeVisibility: async (receiptHandle, seconds) => {
      visibilityChanges.push([receiptHandle, seconds]);
    },
  });
  const advanceTo = (at: number): void => {
    now = at;
  };
  return { handler, queue, reads, posts, recorded, visibilityChanges, advanceTo };
}

describe('the webhook delivery worker', () => {
  it('sends an attempt not yet due on by the wait its clock says is left, and POSTs it once the clock reaches its time', async () => {
    // Arrange: the third attempt is due five minutes from now.
    const dueAt = START + 300_000;
    const { handler, queue, posts, recorded, advanceTo } = harness({
      'evt_1|we_1': {
        event: event('evt_1'),
        delivery: delivery('evt_1', 'we_1', { nextAttempt: 3, nextAttemptAt: dueAt }),
        endpoint: endpoint('we_1'),
      },
    });
    const third = sqsEvent(sqsRecord('m1', message('evt_1', 'we_1', 3)));

    // Act
    await handler(third, lambdaContext);
    const sentOn = [...queue.sent];
    const postedEarly = [...posts];
    advanceTo(dueAt);
    await handler(third, lambdaContext);

    // Assert
    expect(sentOn).toEqual([{ queue: 'webhookDelivery', body: message('evt_1', 'we_1', 3), delaySeconds: 300 }]);
    expect(postedEarly).toEqual([]);
    expect(posts).toEqual([{ url: 'https://hooks.example.com/we_1', timestamp: String(dueAt / 1000) }]);
    expect(recorded).toMatchObject([{ status: 'succeeded', now: dueAt }]);
  });

  it('returns a message whose last attempt failed at once, failed, so that the redrive moves it to the dead-letter queue', async () => {
    // Arrange
    const { handler, posts, visibilityChanges } = harness({
      'evt_1|we_1': {
        event: event('evt_1'),
        delivery: delivery('evt_1', 'we_1', { status: 'failed', failureReason: 'retries_exhausted', nextAttempt: 3 }),
        endpoint: endpoint('we_1'),
      },
      'evt_2|we_1': { event: event('evt_2'), delivery: undefined, endpoint: endpoint('we_1') },
    });

    // Act
    const response = await handler(
      sqsEvent(sqsRecord('last', message('evt_1', 'we_1', 3)), sqsRecord('first', message('evt_2', 'we_1', 1))),
      lambdaContext,
    );

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'last' }] });
    expect(visibilityChanges).toEqual([['handle-last', 0]]);
    expect(posts.map(({ url }) => url)).toEqual(['https://hooks.example.com/we_1']);
  });

  it("reads a batch's deliveries once, and sums the batch up in one line that alarms read, without any event's payload", async () => {
    // Arrange
    const { handler, reads, queue } = harness(
      {
        'evt_1|we_ok': { event: event('evt_1'), delivery: undefined, endpoint: endpoint('we_ok') },
        'evt_1|we_down': { event: event('evt_1'), delivery: undefined, endpoint: endpoint('we_down') },
      },
      (url) => (url.endsWith('we_down') ? 503 : 204),
    );

    // Act
    const logs = await captureLogs(() =>
      handler(sqsEvent(sqsRecord('a', message('evt_1', 'we_ok', 1)), sqsRecord('b', message('evt_1', 'we_down', 1))), lambdaContext),
    );

    // Assert
    expect(reads).toEqual([[message('evt_1', 'we_ok', 1), message('evt_1', 'we_down', 1)]]);
    expect(queue.sent).toEqual([{ queue: 'webhookDelivery', body: message('evt_1', 'we_down', 2), delaySeconds: 5 }]);
    const summary = logs
      .split('\n')
      .filter((line) => line.includes('Webhook deliveries handled'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(summary).toMatchObject([{ attempts: 2, failures: 1, messages: 2 }]);
    expect(logs).toContain('Webhook attempt failed');
    expect(logs).not.toContain(PAYLOAD_MARKER);
  });
});
