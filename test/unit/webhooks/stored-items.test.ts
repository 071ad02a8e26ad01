/** Webhook items read from the table are parsed: one of another shape is a clear error, never a half-read record. */
import { describe, expect, it } from 'vitest';
import { StoredItemShapeError } from '../../../functions/adapters/item-schema.ts';
import { toDelivery } from '../../../functions/adapters/webhook-delivery-store.ts';
import { toEndpoint } from '../../../functions/adapters/webhook-endpoint-store.ts';

const endpointItem = {
  pk: 'WHE#we_1',
  sk: 'WHE',
  endpoint_id: 'we_1',
  merchant_id: 'mer_a',
  url: 'https://hooks.example.com/gateway',
  events: ['*'],
  status: 'disabled',
  disabled_reason: 'The endpoint answered 410 Gone.',
  secret_sealed: 'sealed-secret',
  created: '2030-01-01T00:00:00.000Z',
};

const deliveryItem = {
  event_id: 'evt_1',
  endpoint_id: 'we_1',
  merchant_id: 'mer_a',
  status: 'pending',
  round: 1,
  next_attempt: 2,
  next_attempt_at: 1_893_456_005_000,
  attempts: [{ attempt: 1, at: '2030-01-01T00:00:00.000Z', status_code: null, latency_ms: 10_000, error: 'timed out after 10000 ms' }],
};

describe('a stored webhook endpoint', () => {
  it('reads as written', () => {
    expect(toEndpoint(endpointItem)).toEqual({
      endpointId: 'we_1',
      merchantId: 'mer_a',
      url: 'https://hooks.example.com/gateway',
      events: ['*'],
      status: 'disabled',
      disabledReason: 'The endpoint answered 410 Gone.',
      sealedSecret: 'sealed-secret',
      created: '2030-01-01T00:00:00.000Z',
    });
  });

  it('of an unknown status is an error naming the field, not an enabled endpoint', () => {
    const read = () => toEndpoint({ ...endpointItem, status: 'paused' });

    expect(read).toThrow(StoredItemShapeError);
    expect(read).toThrow(/webhook endpoint.*status/);
  });
});

describe('a stored webhook delivery', () => {
  it('reads as written, an attempt without a status code as null', () => {
    expect(toDelivery(deliveryItem)).toMatchObject({
      status: 'pending',
      nextAttempt: 2,
      attempts: [{ attempt: 1, statusCode: null, latencyMs: 10_000, error: 'timed out after 10000 ms' }],
      failureReason: undefined,
    });
  });

  it('without its attempts is an error naming the field, never the values', () => {
    const { attempts: _attempts, ...withoutAttempts } = deliveryItem;

    let thrown: unknown;
    try {
      toDelivery(withoutAttempts);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(StoredItemShapeError);
    expect((thrown as StoredItemShapeError).paths).toEqual(['attempts']);
    expect((thrown as Error).message).not.toContain('evt_1');
  });
});
