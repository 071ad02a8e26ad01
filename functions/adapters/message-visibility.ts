/**
 * ChangeMessageVisibility on the one queue a worker consumes: how a consumer puts a message off (it comes back
 * after the given delay instead of the queue's visibility timeout). The consumer sees only the port.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChangeVisibility } from '../sqs/consumer.ts';

export function sqsMessageVisibility(sqs: SQSClient, queueUrl: string): ChangeVisibility {
  return async (receiptHandle, seconds) => {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  };
}
