/**
 * The webhook fan-out worker: recorded changes become events, and each event one delivery per subscribed
 * endpoint. Built from its ports (functions/wiring/webhook-fanout.ts gives the real ones), so a test hands in
 * fakes and a clock.
 */
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import { createSqsBatchConsumer, type SqsHandler } from '../sqs/consumer.ts';
import { fanOutEvents, redeliverEvent, type FanoutDependencies } from './fanout.ts';
import type { WebhookEndpoint, WebhookEndpoints } from './ports.ts';

/** The event list, the deliveries, the delivery queue and the clock of the fan-out, and where endpoints are read. */
export interface WebhookFanoutDependencies extends Omit<FanoutDependencies, 'endpointsOf'> {
  /** Every endpoint of a merchant; the worker reads each merchant's once per batch. */
  readonly endpoints: Pick<WebhookEndpoints, 'listAll'>;
}

const gatewayEvent = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  merchantId: z.string().min(1),
  created: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});

const fanoutMessage = z.union([
  z.object({ events: z.array(gatewayEvent).min(1) }),
  z.object({ merchant_id: z.string().min(1), event_id: z.string().min(1), redelivery_id: z.string().min(1) }),
]);

export function makeWebhookFanoutHandler({ endpoints, ...deps }: WebhookFanoutDependencies): SqsHandler {
  /** Each merchant's endpoints are read once per batch, when its first message asks. */
  const endpointsOncePerBatch = (): FanoutDependencies['endpointsOf'] => {
    const read = new Map<string, Promise<readonly WebhookEndpoint[]>>();
    return (merchantId) => {
      const known = read.get(merchantId) ?? endpoints.listAll(merchantId);
      read.set(merchantId, known);
      return known;
    };
  };

  /**
   * The events of the whole batch are fanned out together, so that recording them and sending their first
   * deliveries take a request per 25 events and per 10 deliveries; if that fails, every message of the batch
   * comes back (both steps are idempotent). Redelivery requests are handled one by one.
   */
  const fanOutBatch = async (messages: readonly z.output<typeof fanoutMessage>[]): Promise<FanoutDependencies['endpointsOf']> => {
    const endpointsOf = endpointsOncePerBatch();
    const events = messages.flatMap((message) => ('events' in message ? message.events : []));
    if (events.length > 0) {
      const outcome = await fanOutEvents({ ...deps, endpointsOf }, events);
      logger.info('Webhook fan-out handled', outcome);
    }
    return endpointsOf;
  };

  return createSqsBatchConsumer(fanoutMessage, fanOutBatch, async (message, _record, endpointsOf) => {
    if ('events' in message) return;
    const outcome = await redeliverEvent({ ...deps, endpointsOf }, message);
    logger.info('Webhook redelivery handled', { eventId: message.event_id, ...outcome });
  });
}
