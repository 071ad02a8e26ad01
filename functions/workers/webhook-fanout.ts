/** The webhook fan-out worker: each recorded event becomes one delivery per subscribed endpoint. */
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { DeliveryStore } from '../webhooks/delivery-store.ts';
import { WebhookEndpointStore } from '../webhooks/endpoint-store.ts';
import { fanOutEvent } from '../webhooks/fanout.ts';
import { createSqsConsumer } from './sqs-consumer.ts';

const tableName = tableNameFromEnv();
const outbox = new OutboxStore(dynamoDocumentClient, tableName, new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookDelivery'])));
const dependencies = {
  events: new EventRepository(dynamoDocumentClient, tableName),
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName, outbox),
  now: Date.now,
};

export const fanoutMessage = z.object({ event_id: z.string().min(1), redelivery_id: z.string().min(1).optional() });

export const handler = createSqsConsumer(fanoutMessage, async (message) => {
  const outcome = await fanOutEvent(dependencies, message);
  logger.info('Webhook fan-out handled', { eventId: message.event_id, ...outcome });
});
