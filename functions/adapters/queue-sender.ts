import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueName } from '../../lib/topology.ts';

/** Sends a message body to one of the gateway's queues. */
export interface QueueSender {
  send(queue: QueueName, body: string, delaySeconds?: number): Promise<void>;
}

/** SQS allows at most 15 minutes of delay on a message; longer waits take more than one hop. */
export const MAX_SQS_DELAY_SECONDS = 900;

export class SqsQueueSender implements QueueSender {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Partial<Record<QueueName, string | undefined>>,
  ) {}

  async send(queue: QueueName, body: string, delaySeconds = 0): Promise<void> {
    const queueUrl = this.queueUrls[queue];
    if (queueUrl === undefined) {
      // A programming error: the topology does not let this function send there.
      throw new Error(`This function has no access to the ${queue} queue`);
    }
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        DelaySeconds: Math.min(Math.max(0, Math.floor(delaySeconds)), MAX_SQS_DELAY_SECONDS),
      }),
    );
  }
}
