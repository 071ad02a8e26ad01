/**
 * What the events function needs from the outside world: the merchant's recorded events, read only (this
 * function never writes a delivery, it asks the fan-out to), and the queue that reaches the fan-out.
 * functions/adapters/event-repository.ts and queue-sender.ts implement these; tests hand in their own.
 */
import type { RecordedEvent } from '../webhooks/ports.ts';

export type { QueueSender } from '../core/queue-sender.ts';

export interface EventPage {
  readonly events: readonly RecordedEvent[];
  readonly lastId: string | undefined;
}

export interface EventListFilter {
  readonly merchantId: string;
  readonly type?: string;
  /** The id of the last event of the previous page. */
  readonly startingAfter?: string;
  readonly limit: number;
}

export interface RecordedEvents {
  /** The merchant's events newest first, each with its deliveries. */
  list(filter: EventListFilter): Promise<EventPage>;
  /** The merchant's event with its deliveries; undefined for another merchant's, as for an unknown one. */
  getOwned(merchantId: string, eventId: string): Promise<RecordedEvent | undefined>;
}
