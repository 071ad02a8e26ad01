/** The webhook fan-out worker: recorded changes become events, and each event one delivery per subscribed endpoint. */
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { DeliveryStore } from '../webhooks/delivery-store.ts';
import { WebhookEndpointStore, type WebhookEndpoint } from '../webhooks/endpoint-store.ts';
import { fanOutEvents, redeliverEvent } from '../webhooks/fanout.ts';
import { createSqsBatchConsumer } from './sqs-consumer.ts';

const tableName = tableNameFromEnv();
const endpoints = new WebhookEndpointStore(dynamoDocumentClient, tableName);
const dependencies = {
  events: new EventRepository(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName),
  queue: new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookDelivery'])),
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

export const handler = createSqsBatchConsumer(fanoutMessage, async () => endpointsOncePerBatch(), async (message, _record, endpointsOf) => {
  if ('events' in message) {
    const outcome = await fanOutEvents({ ...dependencies, endpointsOf }, message.events);
    logger.info('Webhook fan-out handled', { eventIds: message.events.map((event) => event.id), ...outcome });
  } else {
    const outcome = await redeliverEvent({ ...dependencies, endpointsOf }, message);
    logger.info('Webhook redelivery handled', { eventId: message.event_id, ...outcome });
  }
});
