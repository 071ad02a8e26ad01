/**
 * The sender of a function that sends to no queue (no `sendTo` in its topology access): its repositories
 * still take an outbox, and this refuses every send as SqsQueueSender would without queue URLs, but
 * without loading the SQS client into the function's cold start.
 */
import type { QueueSender } from '../core/queue-sender.ts';

export const noQueues: QueueSender = {
  async send(queue) {
    throw new Error(`This function has no access to the ${queue} queue`);
  },
  async sendBatch(queue) {
    throw new Error(`This function has no access to the ${queue} queue`);
  },
};
