/**
 * The webhook delivery worker: one signed POST per message, on the retry schedule. A message whose last
 * attempt failed is made visible again at once and failed, until the queue's redrive policy moves it to the
 * dead-letter queue: the DLQ holds exactly the deliveries that used up their attempts. Built from its ports
 * (functions/wiring/webhook-delivery.ts gives the real ones), so a test hands in fakes and a clock.
 */
import * as z from 'zod';
import { logSignals } from '../observability/log-signals.ts';
import { logger } from '../observability/logger.ts';
import { createSqsBatchConsumer, type ChangeVisibility, type SqsHandler } from '../sqs/consumer.ts';
import { deliverAttempt, type DeliverDependencies, type DeliveryOutcome } from './deliver.ts';
import { contextKey, type DeliveryContext, type DeliveryContexts } from './ports.ts';

/**
 * What one attempt needs (the endpoint and delivery stores, the secrets, the poster, the delivery queue, the
 * retry schedule and the clock), what a batch reads first, and the visibility of its own queue's messages.
 */
export interface WebhookDeliveryDependencies extends DeliverDependencies {
  /** Each message's event, delivery and endpoint, for a whole batch at once. */
  readonly contexts: DeliveryContexts;
  /** Makes a message whose attempts are used up visible again at once, on its way to the dead-letter queue. */
  readonly changeVisibility: ChangeVisibility;
}

const deliveryMessage = z.object({
  merchant_id: z.string().min(1),
  event_id: z.string().min(1),
  endpoint_id: z.string().min(1),
  round: z.number().int().min(1),
  attempt: z.number().int().min(1),
});

const summary = logSignals.webhookDeliveriesHandled;
const failed = logSignals.webhookAttemptFailed;
const isOneOf = (values: readonly string[], outcome: DeliveryOutcome): boolean => values.includes(outcome);
const nothingRead: DeliveryContext = { event: undefined, delivery: undefined, endpoint: undefined };

export function makeWebhookDeliveryHandler({ contexts, changeVisibility, ...deps }: WebhookDeliveryDependencies): SqsHandler {
  return createSqsBatchConsumer(
    deliveryMessage,
    async (messages) => ({ read: await contexts.read(messages), outcomes: [] as DeliveryOutcome[] }),
    async (message, record, { read, outcomes }) => {
      const context = read.get(contextKey(message)) ?? nothingRead;
      const outcome = await deliverAttempt(deps, message, context, { redelivered: Number(record.attributes.ApproximateReceiveCount) > 1 });
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
}
