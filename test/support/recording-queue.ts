import type { QueueName } from '../../lib/topology.ts';
import type { OutgoingMessage, QueueSender } from '../../functions/core/queue-sender.ts';
import type { ReceivedCommand } from '../../functions/payments/ports.ts';

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

  /** The types of the events published about a merchant, or about one transaction, sorted; each event once. */
  eventTypes(about: { merchantId: string } | { transactionId: string }): string[] {
    return this.events()
      .filter((event) => ('merchantId' in about ? event.merchantId === about.merchantId : event.data.transaction_id === about.transactionId))
      .map((event) => event.type)
      .sort();
  }

  /**
   * The command last sent to `queue` for a transaction, as its consumer receives it (first, or again after a
   * crash). Without one (a payment that was never created), what a stray message would be.
   */
  commandFor(queue: QueueName, transactionId: string, receive: { redelivered: boolean } = { redelivered: false }): ReceivedCommand {
    const found = this.sent.filter((message) => message.queue === queue && (message.body as { transaction_id?: string }).transaction_id === transactionId);
    const body = found[found.length - 1]?.body as { outbox_entry?: string; sealed_cvc?: string } | undefined;
    return { transactionId, outboxEntry: body?.outbox_entry, sealedCvc: body?.sealed_cvc, redelivered: receive.redelivered };
  }

  async sendBatch(queue: QueueName, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) await this.send(queue, message.body, message.delaySeconds);
  }
}
