import type { QueueName } from '../../lib/topology.ts';
import type { QueueSender } from '../../functions/adapters/queue-sender.ts';

/** A QueueSender that keeps what it was asked to send, for assertions. */
export class RecordingQueueSender implements QueueSender {
  readonly sent: { queue: QueueName; body: unknown; delaySeconds: number | undefined }[] = [];

  async send(queue: QueueName, body: string, delaySeconds?: number): Promise<void> {
    this.sent.push({ queue, body: JSON.parse(body), delaySeconds });
  }
}
