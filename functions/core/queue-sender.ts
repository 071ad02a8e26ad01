/**
 * The port every function that sends to the gateway's queues uses (the outbox, the events API, the webhook
 * fan-out and delivery): several capabilities share it, so it lives here rather than in one of their ports.
 * functions/adapters/queue-sender.ts implements it on SQS; tests hand in a recording one.
 */
import type { QueueName } from '../../lib/topology.ts';

export interface OutgoingMessage {
  readonly body: string;
  readonly delaySeconds?: number;
}

/** Sends message bodies to one of the gateway's queues. */
export interface QueueSender {
  send(queue: QueueName, body: string, delaySeconds?: number): Promise<void>;
  /** Sends several messages to one queue, up to ten per request; resolves once every one is accepted. */
  sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void>;
}

/** A message can be put off at most 15 minutes (SQS's limit); longer waits take more than one hop. */
export const MAX_MESSAGE_DELAY_SECONDS = 900;
