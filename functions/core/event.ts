/**
 * The shape of an event: what every capability that records, lists or delivers events agrees on. The outbox
 * adapter writes it, the events API lists it, the fan-out and delivery worker send it.
 */
/** An event as recorded for the merchant (`GET /events`) and delivered to webhooks. */
export interface GatewayEvent {
  readonly id: string;
  readonly type: string;
  readonly merchantId: string;
  /** ISO 8601 UTC. */
  readonly created: string;
  readonly data: Record<string, unknown>;
}
