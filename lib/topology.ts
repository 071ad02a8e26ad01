/**
 * The one description of the gateway's shape. The CDK stack (lib/stack.ts) and the local runtime
 * (lib/local/) both read this file, and lib/routes.ts for the routes, and nothing else to learn which
 * functions exist, which routes invoke them, which queues feed them, and how the table is keyed — so the
 * two cannot drift.
 *
 * This module is plain data plus tiny pure helpers: no CDK import, no AWS SDK import, and no route
 * declaration (every function imports this module for its settings; the routes' schemas would weigh on
 * every bundle and cold start).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export const functionNames = [
  'authorizer',
  'health',
  'merchants',
  'payments',
  'transactions',
  'events',
  'authorizeWorker',
  'settleWorker',
  'outboxRelay',
  'customers',
  'orders',
  'webhooks',
  'webhookFanout',
  'webhookDelivery',
  'sessions',
  'checkout',
  'wallet',
  'console',
  'pages',
] as const;
export type FunctionName = (typeof functionNames)[number];

export const queueNames = ['authorization', 'settlement', 'webhookFanout', 'webhookDelivery'] as const;
export type QueueName = (typeof queueNames)[number];

/**
 * Who may call a route: anyone, the operator's admin key, a merchant's secret key, or the token of one
 * kind of hosted-page session (functions/hosted/session.ts), which is scoped to one checkout, one
 * customer or one merchant's console.
 */
export type RouteAuth = 'none' | 'admin' | 'merchant' | SessionAuth;
export const sessionAuths = ['checkout_session', 'portal_session', 'console_session'] as const;
export type SessionAuth = (typeof sessionAuths)[number];

/** What a function may touch. The CDK stack turns this into exactly these grants and nothing more. */
export interface FunctionAccess {
  readonly table?: 'read' | 'readwrite';
  /** Queues this function sends to. */
  readonly sendTo?: readonly QueueName[];
  /** Card-vault key operations: `encrypt` = GenerateDataKey, `decrypt` = Decrypt of card data keys. */
  readonly cardKey?: readonly ('encrypt' | 'decrypt')[];
  /** Decrypt of the fingerprint HMAC key (KMS encryption context `purpose=fingerprint`). */
  readonly fingerprintKey?: boolean;
  /** Read the admin key secret (Secrets Manager in the cloud, `ADMIN_API_KEY` locally). */
  readonly adminKey?: boolean;
  /**
   * Webhook signing secrets: `encrypt` = KMS Encrypt, `decrypt` = KMS Decrypt, both only under the
   * encryption context `purpose=webhook_secret`. Also sets the webhook URL policy (public https only in the cloud).
   */
  readonly webhookSecrets?: readonly ('encrypt' | 'decrypt')[];
  /**
   * KMS Encrypt and Decrypt only under the encryption context `purpose=idempotent_response`: the stored
   * Idempotency-Key responses of its routes that hold a secret (`secretInResponse` in the route's declaration) are sealed.
   */
  readonly idempotentResponses?: boolean;
  /**
   * Give each new merchant an API Gateway API key in the stage's usage plan (the per-merchant throttle):
   * find the plan by name, find or create the key, attach it. Nothing locally, where a token bucket stands in.
   */
  readonly usagePlanKeys?: boolean;
}

export interface FunctionSpec {
  /** Module path from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly access: FunctionAccess;
  /** A folder of the repository copied as is beside the function's bundle, which reads it at run time. */
  readonly staticFiles?: string;
  /**
   * At most this many instances at once, so that a worker can neither take the account's concurrency from the
   * API and the authorizer nor flood what it calls. For a queue consumer, the event source's maximum concurrency
   * (Lambda polls no faster; nothing is throttled and no message is returned for it); for a scheduled function,
   * reserved concurrency. Every worker has one (test/infra); API functions share what the workers leave.
   */
  readonly maxConcurrency?: number;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. Also the `resource` of the proxy event. */
  readonly path: string;
  readonly function: FunctionName;
  readonly auth: RouteAuth;
}

export interface QueueSpec {
  readonly consumer: FunctionName;
  readonly batchSize: number;
  /** Lambda's event source mapping waits at most this long to fill a batch. */
  readonly maxBatchingWindowSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to this queue's dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * How the consumer waits out an outage of what it calls, instead of letting the redrive policy dead-letter
   * its messages within minutes: it returns each message with a growing delay (ChangeMessageVisibility), from
   * `firstRetrySeconds` up to `maxRetrySeconds`, until the work is `giveUpAfterSeconds` old; then it gives the work
   * its final state. `maxReceiveCount` and the queue's retention must cover that many receives and that long
   * (test/infra/topology.test.ts checks both).
   */
  readonly outageRetry?: {
    readonly firstRetrySeconds: number;
    readonly maxRetrySeconds: number;
    readonly giveUpAfterSeconds: number;
  };
}

export interface ScheduleSpec {
  readonly function: FunctionName;
  readonly everySeconds: number;
}

export interface IndexSpec {
  readonly partitionKey: string;
  readonly sortKey: string;
  /**
   * The non-key attributes the index keeps, when its queries need only those (empty: its keys only);
   * absent, it keeps the whole item. A small projection makes each index write one unit, and writes that
   * change none of its attributes cost the index nothing.
   */
  readonly projection?: readonly string[];
}

const api = (entry: string, description: string, access: FunctionAccess): FunctionSpec => ({
  entry: `functions/wiring/${entry}.ts`,
  description,
  memoryMb: 512,
  timeoutSeconds: 10,
  access,
});

/** `entry` names the worker's wiring module, which builds its ports and exports `handler = makeXHandler(ports)`. */
const worker = (
  entry: string,
  description: string,
  timeoutSeconds: number,
  maxConcurrency: number,
  access: FunctionAccess,
): FunctionSpec => ({
  entry: `functions/wiring/${entry}.ts`,
  description,
  memoryMb: 512,
  timeoutSeconds,
  maxConcurrency,
  access,
});

export const functions = {
  authorizer: api('authorizer', 'Resolves a bearer key to the admin or a merchant', { table: 'read', adminKey: true }),
  health: api('health', 'Liveness of the API and its stores', { table: 'read' }),
  merchants: api('merchants', 'Operators create merchants; merchants rotate and revoke keys', {
    table: 'readwrite',
    usagePlanKeys: true,
    idempotentResponses: true,
  }),
  payments: api('payments', 'Create, read, capture, cancel and refund card payments', {
    table: 'readwrite',
    sendTo: ['authorization', 'settlement', 'webhookFanout'],
    cardKey: ['encrypt'],
    fingerprintKey: true,
  }),
  transactions: api('transactions', "Lists the caller's transactions", { table: 'read' }),
  // Seals saved cards (never opens them); its changes cause events, hence the fan-out queue.
  customers: api('customers', 'Customers, their saved cards and their default card', {
    table: 'readwrite',
    sendTo: ['webhookFanout'],
    cardKey: ['encrypt'],
    fingerprintKey: true,
  }),
  // Creating an order causes no event; paying it happens in the payments function and the workers.
  orders: api('orders', 'Create and read orders', { table: 'readwrite' }),
  events: api('events', "Lists and shows the caller's events; redelivers one to its webhooks", {
    table: 'readwrite',
    sendTo: ['webhookFanout'],
  }),
  // Worst case per payment: 3 processor attempts of 5 s plus backoff, about 19 s; the batch runs in parallel.
  // 10 instances of batches of 10: at most 100 authorizations at the acquirer at once.
  authorizeWorker: worker('authorize-worker', 'Authorizes pending payments with the processor', 30, 10, {
    table: 'readwrite',
    sendTo: ['settlement', 'webhookFanout'],
    cardKey: ['decrypt'],
  }),
  settleWorker: worker('settle-worker', 'Moves captured payments to settled', 20, 5, { table: 'readwrite', sendTo: ['webhookFanout'] }),
  // One sweep at a time: a sweep still running when the next minute comes makes the next one wait, not overlap.
  outboxRelay: worker('outbox-relay', 'Publishes outbox entries that an interrupted writer left behind', 60, 1, {
    table: 'readwrite',
    sendTo: ['authorization', 'settlement', 'webhookFanout'],
  }),
  webhooks: api('webhooks', 'Merchants register, list and delete webhook endpoints', {
    table: 'readwrite',
    webhookSecrets: ['encrypt'],
  }),
  webhookFanout: worker('webhook-fanout', 'Records events and turns each into one delivery per subscribed endpoint', 30, 5, {
    table: 'readwrite',
    sendTo: ['webhookDelivery'],
  }),
  // A batch of 10 deliveries runs in parallel, each at most one 10 s POST plus a few table writes; 10 instances:
  // at most 100 POSTs in flight.
  webhookDelivery: worker('webhook-delivery', 'POSTs signed events to webhook endpoints, on the retry schedule', 30, 10, {
    table: 'readwrite',
    sendTo: ['webhookDelivery'],
    webhookSecrets: ['decrypt'],
  }),
  // Hosted pages (pages/): merchants open sessions; the pages call the session routes with the session token.
  sessions: api('sessions', 'Merchants open and end hosted checkout, wallet and console sessions', {
    table: 'readwrite',
    idempotentResponses: true,
  }),
  // Pays through the same use case as POST /payments, so it needs what the payments function needs to create one.
  checkout: api('checkout', 'The hosted checkout page: what is being paid, pay it, follow its status', {
    table: 'readwrite',
    // Creates payments only: their authorization command and events; it never captures, so never settles.
    sendTo: ['authorization', 'webhookFanout'],
    cardKey: ['encrypt'],
    fingerprintKey: true,
  }),
  wallet: api('wallet', "The hosted wallet page: a customer's saved cards and recent payments", {
    table: 'readwrite',
    sendTo: ['webhookFanout'],
    cardKey: ['encrypt'],
    fingerprintKey: true,
  }),
  // Writes only to end its own session.
  console: api('console', "The hosted merchant console: transactions and each one's timeline", { table: 'readwrite' }),
  // Static files only: no table, no key, no queue.
  pages: { ...api('pages', 'Serves the hosted pages and their assets', {}), staticFiles: 'pages' },
} as const satisfies Record<FunctionName, FunctionSpec>;

export const queues = {
  /** Pending payments waiting for the processor's answer. */
  authorization: {
    consumer: 'authorizeWorker',
    batchSize: 10,
    // A second's wait fills batches under load (fewer invocations, receives and deletes per payment); the
    // API has answered `pending` already, so no caller waits on it.
    maxBatchingWindowSeconds: 1,
    // AWS asks for at least six times the consumer's timeout, so retries of a slow batch cannot overlap.
    visibilityTimeoutSeconds: 180,
    // An acquirer outage of up to 12 hours is ridden out: a payment is asked again after 30 s, then after as long
    // again as it has waited, at most every 15 minutes, and ends `failed` (`processor_unavailable`) 12 hours after
    // it was created. That is about 60 receives; the rest leaves room for other failures (KMS, the table) on the way.
    outageRetry: { firstRetrySeconds: 30, maxRetrySeconds: 900, giveUpAfterSeconds: 12 * 3_600 },
    maxReceiveCount: 100,
  },
  /** Captured payments waiting to settle. */
  settlement: {
    consumer: 'settleWorker',
    batchSize: 25,
    maxBatchingWindowSeconds: 5,
    visibilityTimeoutSeconds: 120,
    maxReceiveCount: 5,
  },
  /** The events of recorded changes, a message per write: recorded, then fanned out to the subscribed endpoints. */
  webhookFanout: {
    consumer: 'webhookFanout',
    batchSize: 10,
    // The batch's events are recorded and fanned out together (a request per 25 events, per 10 deliveries).
    maxBatchingWindowSeconds: 1,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
  },
  /**
   * One message per (event, endpoint) attempt. Retries are new messages sent with a delay (hops of at most
   * 15 minutes); after the last attempt the worker fails its message until this redrive moves it to the DLQ.
   */
  webhookDelivery: {
    consumer: 'webhookDelivery',
    batchSize: 10,
    // One read per batch (functions/adapters/webhook-delivery-reader.ts); a webhook waits at most a second more for it.
    maxBatchingWindowSeconds: 1,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
  },
} as const satisfies Record<QueueName, QueueSpec>;

export const schedules = {
  /** Sweeps the sparse outbox index for entries a crashed writer did not publish. */
  outboxSweep: { function: 'outboxRelay', everySeconds: 60 },
} as const satisfies Record<string, ScheduleSpec>;

/**
 * One table, keyed generically. Every access path is a key or an index (see README "Data model").
 * `expires_at` is the TTL attribute: DynamoDB deletes expired items in the cloud; the code also treats
 * an expired item as absent, so behaviour does not depend on when (or whether) deletion happens.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  indexes: {
    /** A merchant's API keys, webhook endpoints and hosted-page sessions, by id: `MER#<id>#KEY`. Rarely written. */
    byOwner: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** A customer's transactions, newest first: `MER#<id>#CUS#<id>#TXN`. Keys only: a list reads the items by key. */
    byCustomer: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: [] },
    /**
     * A merchant's transactions, newest first, spread over `TRANSACTION_SHARDS` partitions
     * (`MER#<id>#TXN#<nn>`, the shard taken from the transaction id) so that no partition takes every
     * payment of a busy merchant. Keys only, written once when the transaction is created.
     */
    byMerchant: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: [] },
    /** Sparse: only items with unpublished outbox entries carry `outbox_pending`. The sweep reads keys and age. */
    outbox: { partitionKey: 'outbox_pending', sortKey: 'pk', projection: ['outbox_at'] },
  },
} as const satisfies {
  partitionKey: string;
  sortKey: string;
  ttlAttribute: string;
  indexes: Record<string, IndexSpec>;
};

/** What an index keeps besides its keys: everything, only its keys, or the named attributes. */
export function projectionOf(index: IndexSpec): { type: 'ALL' } | { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: readonly string[] } {
  if (index.projection === undefined) return { type: 'ALL' };
  return index.projection.length === 0 ? { type: 'KEYS_ONLY' } : { type: 'INCLUDE', attributes: index.projection };
}

export type IndexName = keyof typeof table.indexes;

/** Environment variable names a function reads; both runtimes set them from this file. */
export const env = {
  tableName: 'TABLE_NAME',
  cardKeyId: 'CARD_KEY_ID',
  adminKeySecretId: 'ADMIN_KEY_SECRET_ID',
  adminApiKey: 'ADMIN_API_KEY',
  /** `public-https` (the cloud) or `allow-loopback` (the local runtime's default). */
  webhookUrlPolicy: 'WEBHOOK_URL_POLICY',
  /** Comma-separated seconds between webhook attempts; the contract's schedule when unset. */
  webhookRetryDelays: 'WEBHOOK_RETRY_DELAYS',
  /** The usage plan merchants' API Gateway keys join; unset locally, where no usage plan exists. */
  usagePlanName: 'USAGE_PLAN_NAME',
  /** Seconds the outbox sweep leaves a write's entries to their writer and consumers; 60 when unset. */
  outboxSweepGraceSeconds: 'OUTBOX_SWEEP_GRACE_SECONDS',
  /** Seconds a request holds its Idempotency-Key before a retry may presume it dead; 30 when unset. */
  idempotencyLockSeconds: 'IDEMPOTENCY_LOCK_SECONDS',
  queueUrl: (queue: QueueName): string => `QUEUE_URL_${queue.toUpperCase()}`,
} as const;


/** Names of the functions that consume a queue or run on a schedule (never behind a route). */
export function workerFunctions(): FunctionName[] {
  const names = new Set<FunctionName>();
  for (const spec of Object.values<QueueSpec>(queues)) names.add(spec.consumer);
  for (const spec of Object.values<ScheduleSpec>(schedules)) names.add(spec.function);
  return [...names];
}
