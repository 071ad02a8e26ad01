/**
 * The `webhookFanout` function's entry (lib/topology.ts): its real ports, built once per container from its
 * configuration, so that a missing or malformed setting fails the cold start.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { DeliveryStore } from '../adapters/webhook-delivery-store.ts';
import { WebhookEndpointStore } from '../adapters/webhook-endpoint-store.ts';
import { makeWebhookFanoutHandler } from '../webhooks/fanout-worker.ts';
import { queueSenderOf } from './queues.ts';

const tableName = tableNameFromEnv();

export const handler = makeWebhookFanoutHandler({
  events: new EventRepository(dynamoDocumentClient, tableName),
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName),
  queue: queueSenderOf('webhookFanout'),
  now: Date.now,
});
