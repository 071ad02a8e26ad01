/**
 * What the webhook use cases (the endpoints API, the fan-out, the delivery worker) need from the outside
 * world, and the records they pass through it. The adapters under functions/adapters/webhook-*.ts implement
 * these on DynamoDB, KMS and a guarded HTTP POST; tests hand in fakes.
 */
import type { GatewayEvent } from '../core/event.ts';

export type { QueueSender } from '../core/queue-sender.ts';

export type EndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpoint {
  readonly endpointId: string;
  readonly merchantId: string;
  readonly url: string;
  /** Event types it receives; `*` is every type. */
  readonly events: readonly string[];
  readonly status: EndpointStatus;
  readonly disabledReason: string | undefined;
  /** The signing secret, sealed by a SecretBox for this endpoint: never stored in clear. */
  readonly sealedSecret: string;
  /** ISO 8601 UTC. */
  readonly created: string;
}

export interface EndpointPage {
  readonly endpoints: readonly WebhookEndpoint[];
  readonly lastId: string | undefined;
}

export interface WebhookEndpoints {
  /**
   * Creates the endpoint, or replaces it when the same merchant creates it again under the same id: a
   * retried request (idempotency take-over) reruns with the same seeded id, and the retry's secret must win.
   */
  create(endpoint: WebhookEndpoint): Promise<void>;
  /** Another merchant's endpoint is not found, as an unknown one is. */
  getOwned(merchantId: string, endpointId: string): Promise<WebhookEndpoint | undefined>;
  /** Newest first. */
  list(filter: { merchantId: string; startingAfter?: string; limit: number }): Promise<EndpointPage>;
  /** Every endpoint of the merchant, for the fan-out (a merchant has a handful). */
  listAll(merchantId: string): Promise<WebhookEndpoint[]>;
  /** Deletes the merchant's endpoint; false when it has none by that id. */
  delete(merchantId: string, endpointId: string): Promise<boolean>;
  /** Stops deliveries to an endpoint, e.g. after it answered 410 Gone; one deleted meanwhile is left alone. */
  disable(endpointId: string, reason: string): Promise<void>;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  readonly attempt: number;
  /** ISO 8601 UTC, when the request was sent. */
  readonly at: string;
  /** The receiver's HTTP status; null when none came (timeout, refused connection, refused target). */
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
}

/** One event's delivery to one endpoint, with its attempts so far. */
export interface Delivery {
  readonly eventId: string;
  readonly endpointId: string;
  readonly merchantId: string;
  readonly status: DeliveryStatus;
  /** Bumped by a redelivery: messages of an older round are stale. */
  readonly round: number;
  /** The attempt the next message must carry. */
  readonly nextAttempt: number;
  /** Epoch ms when the next attempt is due. */
  readonly nextAttemptAt: number;
  readonly attempts: readonly DeliveryAttempt[];
  readonly failureReason: string | undefined;
  readonly lastRedeliveryId: string | undefined;
}

/** A delivery none of whose attempts was recorded yet: how an event's `endpoint_ids` show before the first. */
export function firstAttemptDue(ids: { eventId: string; endpointId: string; merchantId: string }, dueAt: number): Delivery {
  return {
    ...ids,
    status: 'pending',
    round: 1,
    nextAttempt: 1,
    nextAttemptAt: dueAt,
    attempts: [],
    failureReason: undefined,
    lastRedeliveryId: undefined,
  };
}

/** What a message on the delivery queue carries: ids only, never the payload or the secret. */
export interface DeliveryMessage {
  readonly merchant_id: string;
  readonly event_id: string;
  readonly endpoint_id: string;
  readonly round: number;
  readonly attempt: number;
}

export interface AttemptRecord {
  readonly attempt: DeliveryAttempt;
  readonly status: DeliveryStatus;
  readonly failureReason?: string;
  /** Set when another attempt follows, after this wait. */
  readonly retryInMs?: number;
  readonly now: number;
}

export interface Deliveries {
  /**
   * Records an attempt's outcome, on the condition that the delivery still waits for exactly this attempt of
   * this round. False when it does not: another worker recorded it, or a redelivery started a new round.
   */
  record(message: DeliveryMessage, change: AttemptRecord): Promise<boolean>;
  /**
   * Starts a new round of attempts after `previousRound` (0: the endpoint never had the event), once per
   * redelivery id, for a delivery that is finished or whose next attempt was due before `stuckBefore`;
   * false when the delivery is under way, or this id started it already.
   */
  restart(
    ids: { merchantId: string; eventId: string; endpointId: string },
    previousRound: number,
    now: number,
    stuckBefore: number,
    redeliveryId: string,
  ): Promise<boolean>;
}

/** What the delivery worker read for one message; each part absent when there is none. */
export interface DeliveryContext {
  readonly event: GatewayEvent | undefined;
  readonly delivery: Delivery | undefined;
  /** Absent too when the endpoint is another merchant's. */
  readonly endpoint: WebhookEndpoint | undefined;
}

/** The key of a message's context in what `DeliveryContexts.read` answers. */
export function contextKey(message: DeliveryMessage): string {
  return `${message.event_id}|${message.endpoint_id}`;
}

export interface DeliveryContexts {
  /** Each message's event, delivery and endpoint, for a whole batch at once, keyed by `contextKey`. */
  read(messages: readonly DeliveryMessage[]): Promise<Map<string, DeliveryContext>>;
}

/** An event as recorded: the endpoints the fan-out sent it to, and their deliveries so far. */
export interface RecordedEvent {
  readonly event: GatewayEvent;
  readonly deliveries: readonly Delivery[];
}

/** The events the fan-out records, each with the endpoints it goes to. */
export interface EventLog {
  /** Idempotent: recording an event again writes the same event, with the endpoints of the last run. */
  record(events: readonly { event: GatewayEvent; endpointIds: readonly string[] }[], recordedAt: number): Promise<void>;
  /** The merchant's event with its deliveries; undefined for another merchant's. */
  getOwned(merchantId: string, eventId: string): Promise<RecordedEvent | undefined>;
}

export interface PostOutcome {
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** Why no status came, or a short note; never the response body. */
  readonly error: string | null;
}

export interface WebhookPoster {
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostOutcome>;
}

export interface SecretOwner {
  readonly merchantId: string;
  readonly endpointId: string;
}

/** Signing secrets at rest: sealed for their endpoint, opened only for it. */
export interface SecretBox {
  seal(secret: string, owner: SecretOwner): Promise<string>;
  open(sealed: string, owner: SecretOwner): Promise<string>;
}
