import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueName } from '../../lib/topology.ts';
import { MAX_MESSAGE_DELAY_SECONDS, type OutgoingMessage, type QueueSender } from '../core/queue-sender.ts';

/** SendMessageBatch takes at most ten messages. */
const SQS_BATCH_LIMIT = 10;

export class SqsQueueSender implements QueueSender {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Partial<Record<QueueName, string | undefined>>,
  ) {}

  async send(queue: QueueName, body: string, delaySeconds = 0): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.urlOf(queue), MessageBody: body, DelaySeconds: sqsDelay(delaySeconds) }));
  }

  async sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void> {
    const queueUrl = this.urlOf(queue);
    for (let start = 0; start < messages.length; start += SQS_BATCH_LIMIT) {
      let entries = messages.slice(start, start + SQS_BATCH_LIMIT).map((message, i) => ({
        Id: String(i),
        MessageBody: message.body,
        DelaySeconds: sqsDelay(message.delaySeconds ?? 0),
      }));
      // A batch can half succeed: send the failed entries again, and give up only on an error of the caller's.
      while (entries.length > 0) {
        const { Failed } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        const senderFault = (Failed ?? []).find((failure) => failure.SenderFault === true);
        if (senderFault !== undefined) throw new Error(`SQS refused a message for the ${queue} queue: ${senderFault.Code ?? 'unknown'}`);
        const failedIds = new Set((Failed ?? []).map((failure) => failure.Id));
        entries = entries.filter((entry) => failedIds.has(entry.Id));
      }
    }
  }

  private urlOf(queue: QueueName): string {
    const queueUrl = this.queueUrls[queue];
    // A programming error: the topology does not let this function send there.
    if (queueUrl === undefined) throw new Error(`This function has no access to the ${queue} queue`);
    return queueUrl;
  }
}

function sqsDelay(delaySeconds: number): number {
  return Math.min(Math.max(0, Math.floor(delaySeconds)), MAX_MESSAGE_DELAY_SECONDS);
}
