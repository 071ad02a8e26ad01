import type { QueueName } from '../../lib/topology.ts';
import type { OutgoingMessage, QueueSender } from '../../functions/adapters/queue-sender.ts';

/** A QueueSender that keeps what it was asked to send, for assertions. */
export class RecordingQueueSender implements QueueSender {
  readonly sent: { queue: QueueName; body: unknown; delaySeconds: number | undefined }[] = [];

  async send(queue: QueueName, body: string, delaySeconds?: number): Promise<void> {
    this.sent.push({ queue, body: JSON.parse(body), delaySeconds });
  }

  /** The events sent to the webhook fan-out, each once (publishing is at least once), in the order first sent. */
  events(): { id: string; type: string; merchantId: string; data: Record<string, unknown> }[] {
    const seen = new Map<string, { id: string; type: string; merchantId: string; data: Record<string, unknown> }>();
    for (const message of this.sent) {
      if (message.queue !== 'webhookFanout') continue;
      const { events } = message.body as { events?: { id: string; type: string; merchantId: string; data: Record<string, unknown> }[] };
      for (const event of events ?? []) if (!seen.has(event.id)) seen.set(event.id, event);
    }
    return [...seen.values()];
  }

  /**
   * The message last sent to `queue` for a transaction: what its consumer receives. Without one (a payment
   * that was never created), the bare message a stray or hand-made one would be.
   */
  messageFor(queue: QueueName, transactionId: string): { transaction_id: string; outbox_entry?: string } {
    const found = this.sent.filter((message) => message.queue === queue && (message.body as { transaction_id?: string }).transaction_id === transactionId);
    const last = found[found.length - 1];
    return last === undefined ? { transaction_id: transactionId } : (last.body as { transaction_id: string; outbox_entry?: string });
  }

  async sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) await this.send(queue, message.body, message.delaySeconds);
  }
}
