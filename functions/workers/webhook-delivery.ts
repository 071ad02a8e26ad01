/**
 * The webhook delivery worker: one signed POST per message, on the retry schedule. A message whose last
 * attempt failed is made visible again at once and failed, until the queue's redrive policy moves it to the
 * dead-letter queue: the DLQ holds exactly the deliveries that used up their attempts.
 */
import { logSignals } from '../observability/log-signals.ts';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { deliverAttempt } from '../webhooks/deliver.ts';
import { DeliveryStore } from '../webhooks/delivery-store.ts';
import { WebhookEndpointStore } from '../webhooks/endpoint-store.ts';
import { GuardedPoster } from '../webhooks/http-post.ts';
import { retryScheduleFromEnv } from '../webhooks/retry-schedule.ts';
import { KmsSecretBox, secretKeyIdFromEnv } from '../webhooks/secret-box.ts';
import { systemResolver, urlPolicyFromEnv } from '../webhooks/url-policy.ts';
import { createSqsConsumer } from './sqs-consumer.ts';

/** What Standard Webhooks suggests a receiver answers within; the function's 30 s timeout leaves room. */
const POST_TIMEOUT_MS = 10_000;
/** Longer than an attempt can take (the POST plus a few writes), shorter than the queue's visibility timeout. */
const CLAIM_MS = 45_000;

const tableName = tableNameFromEnv();
const queueUrls = queueUrlsFromEnv(['webhookDelivery']);
const queue = new SqsQueueSender(sqsClient, queueUrls);
const dependencies = {
  events: new EventRepository(dynamoDocumentClient, tableName),
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName, new OutboxStore(dynamoDocumentClient, tableName, queue)),
  secrets: new KmsSecretBox(kmsClient, secretKeyIdFromEnv()),
  poster: new GuardedPoster(urlPolicyFromEnv(), systemResolver, POST_TIMEOUT_MS),
  schedule: retryScheduleFromEnv(),
  queue,
  now: Date.now,
  claimMs: CLAIM_MS,
};

export const deliveryMessage = z.object({
  event_id: z.string().min(1),
  endpoint_id: z.string().min(1),
  round: z.number().int().min(1),
  attempt: z.number().int().min(1),
});

export const handler = createSqsConsumer(deliveryMessage, async (message, record) => {
  const outcome = await deliverAttempt(dependencies, message);
  const signal = logSignals.webhookDeliveryHandled;
  logger.info(signal.message, { eventId: message.event_id, endpointId: message.endpoint_id, attempt: message.attempt, [signal.field]: outcome });
  // Another worker holds the attempt. Acknowledging would lose the delivery if that worker died holding it,
  // so the message comes back after its visibility timeout and finds the attempt recorded (stale) or free.
  if (outcome === 'busy') throw new Error(`Delivery ${message.event_id}/${message.endpoint_id} is held by another attempt`);
  if (outcome !== 'dead_letter') return;
  await sqsClient.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: queueUrls.webhookDelivery, ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 }),
  );
  throw new Error(`Delivery ${message.event_id}/${message.endpoint_id} used up its attempts; it goes to the dead-letter queue`);
});
