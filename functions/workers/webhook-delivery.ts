/**
 * The webhook delivery worker: one signed POST per message, on the retry schedule. A message whose last
 * attempt failed is made visible again at once and failed, until the queue's redrive policy moves it to the
 * dead-letter queue: the DLQ holds exactly the deliveries that used up their attempts.
 */
import { logSignals } from '../observability/log-signals.ts';
import * as z from 'zod';
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { tableNameFromEnv } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { deliverAttempt, type DeliveryOutcome } from '../webhooks/deliver.ts';
import { contextKey, DeliveryReader } from '../webhooks/delivery-reader.ts';
import { DeliveryStore } from '../webhooks/delivery-store.ts';
import { WebhookEndpointStore } from '../webhooks/endpoint-store.ts';
import { GuardedPoster } from '../webhooks/http-post.ts';
import { retryScheduleFromEnv } from '../webhooks/retry-schedule.ts';
import { KmsSecretBox, secretKeyIdFromEnv } from '../webhooks/secret-box.ts';
import { systemResolver, urlPolicyFromEnv } from '../webhooks/url-policy.ts';
import { createSqsBatchConsumer } from '../sqs/consumer.ts';
import { changeVisibilityOf, queueSenderOf } from '../wiring/queues.ts';

/** What Standard Webhooks suggests a receiver answers within; the function's 30 s timeout leaves room. */
const POST_TIMEOUT_MS = 10_000;

const tableName = tableNameFromEnv();
const changeVisibility = changeVisibilityOf('webhookDelivery');
const reader = new DeliveryReader(dynamoDocumentClient, tableName);
const dependencies = {
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableName),
  deliveries: new DeliveryStore(dynamoDocumentClient, tableName),
  secrets: new KmsSecretBox(kmsClient, secretKeyIdFromEnv()),
  poster: new GuardedPoster(urlPolicyFromEnv(), systemResolver, POST_TIMEOUT_MS),
  schedule: retryScheduleFromEnv(),
  queue: queueSenderOf('webhookDelivery'),
  now: Date.now,
};

export const deliveryMessage = z.object({
  merchant_id: z.string().min(1),
  event_id: z.string().min(1),
  endpoint_id: z.string().min(1),
  round: z.number().int().min(1),
  attempt: z.number().int().min(1),
});

const summary = logSignals.webhookDeliveriesHandled;
const failed = logSignals.webhookAttemptFailed;
const isOneOf = (values: readonly string[], outcome: DeliveryOutcome): boolean => values.includes(outcome);

export const handler = createSqsBatchConsumer(
  deliveryMessage,
  async (messages) => ({ contexts: await reader.read(messages), outcomes: [] as DeliveryOutcome[] }),
  async (message, record, { contexts, outcomes }) => {
    const context = contexts.get(contextKey(message)) ?? { event: undefined, delivery: undefined, endpoint: undefined };
    const outcome = await deliverAttempt(dependencies, message, context, { redelivered: Number(record.attributes.ApproximateReceiveCount) > 1 });
    outcomes.push(outcome);
    if (isOneOf(summary.failureValues, outcome)) {
      logger.warn(failed.message, { eventId: message.event_id, endpointId: message.endpoint_id, attempt: message.attempt, [failed.field]: outcome });
    }
    if (outcome !== 'dead_letter') return;
    await changeVisibility(record.receiptHandle, 0);
    throw new Error(`Delivery ${message.event_id}/${message.endpoint_id} used up its attempts; it goes to the dead-letter queue`);
  },
  {
    afterBatch: ({ outcomes }) =>
      logger.info(summary.message, {
        [summary.attemptsField]: outcomes.filter((outcome) => isOneOf(summary.attemptValues, outcome)).length,
        [summary.failuresField]: outcomes.filter((outcome) => isOneOf(summary.failureValues, outcome)).length,
        messages: outcomes.length,
      }),
  },
);
