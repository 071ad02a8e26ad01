/** The webhook fan-out worker: recorded changes become events, and each event one delivery per subscribed endpoint. */
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { DeliveryStore } from '../webhooks/delivery-store.ts';
import { WebhookEndpointStore, type WebhookEndpoint } from '../webhooks/endpoint-store.ts';
import { fanOutEvents, redeliverEvent } from '../webhooks/fanout.ts';
import { createSqsBatchConsumer } from '../sqs/consumer.ts';
import { queueSenderOf } from '../wiring/queues.ts';

const tableName = tableNameFromEnv();
const endpoints = new WebhookEndpointStore(dynamoDocumentClient, tableName);
const dependencies = {
  events: new EventRepository(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName),
  queue: queueSenderOf('webhookFanout'),
  now: Date.now,
};

const gatewayEvent = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  merchantId: z.string().min(1),
  created: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});

export const fanoutMessage = z.union([
  z.object({ events: z.array(gatewayEvent).min(1) }),
  z.object({ merchant_id: z.string().min(1), event_id: z.string().min(1), redelivery_id: z.string().min(1) }),
]);

/** Each merchant's endpoints are read once per batch, when its first message asks. */
function endpointsOncePerBatch(): (merchantId: string) => Promise<readonly WebhookEndpoint[]> {
  const read = new Map<string, Promise<WebhookEndpoint[]>>();
  return (merchantId) => {
    const known = read.get(merchantId) ?? endpoints.listAll(merchantId);
    read.set(merchantId, known);
    return known;
  };
}

/**
 * The events of the whole batch are fanned out together, so that recording them and sending their first
 * deliveries take a request per 25 events and per 10 deliveries; if that fails, every message of the batch
 * comes back (both steps are idempotent). Redelivery requests are handled one by one.
 */
async function fanOutBatch(messages: readonly z.output<typeof fanoutMessage>[]): Promise<ReturnType<typeof endpointsOncePerBatch>> {
  const endpointsOf = endpointsOncePerBatch();
  const events = messages.flatMap((message) => ('events' in message ? message.events : []));
  if (events.length > 0) {
    const outcome = await fanOutEvents({ ...dependencies, endpointsOf }, events);
    logger.info('Webhook fan-out handled', outcome);
  }
  return endpointsOf;
}

export const handler = createSqsBatchConsumer(fanoutMessage, fanOutBatch, async (message, _record, endpointsOf) => {
  if ('events' in message) return;
  const outcome = await redeliverEvent({ ...dependencies, endpointsOf }, message);
  logger.info('Webhook redelivery handled', { eventId: message.event_id, ...outcome });
});
