/**
 * The `webhookDelivery` function's entry (lib/topology.ts): its real ports, built once per container from its
 * configuration, so that a missing or malformed setting fails the cold start.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { DeliveryReader } from '../adapters/webhook-delivery-reader.ts';
import { DeliveryStore } from '../adapters/webhook-delivery-store.ts';
import { systemResolver } from '../adapters/webhook-dns-resolver.ts';
import { WebhookEndpointStore } from '../adapters/webhook-endpoint-store.ts';
import { GuardedPoster } from '../adapters/webhook-poster.ts';
import { KmsSecretBox, secretKeyIdFromEnv } from '../adapters/webhook-secret-box.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeWebhookDeliveryHandler } from '../webhooks/delivery-worker.ts';
import { retryScheduleFromEnv } from '../webhooks/retry-schedule.ts';
import { urlPolicyFromEnv } from '../webhooks/url-policy.ts';
import { changeVisibilityOf, queueSenderOf } from './queues.ts';

/** What Standard Webhooks suggests a receiver answers within; the function's 30 s timeout leaves room. */
const POST_TIMEOUT_MS = 10_000;

const now = Date.now;
const tableName = tableNameFromEnv();

export const handler = makeWebhookDeliveryHandler({
  contexts: new DeliveryReader(dynamoDocumentClient, tableName),
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName),
  secrets: new KmsSecretBox(kmsClient, secretKeyIdFromEnv(), now),
  poster: new GuardedPoster(urlPolicyFromEnv(), systemResolver, POST_TIMEOUT_MS),
  schedule: retryScheduleFromEnv(),
  queue: queueSenderOf('webhookDelivery'),
  now,
  changeVisibility: changeVisibilityOf('webhookDelivery'),
});
