/**
 * The payment lifecycle, measured: N payments created over HTTP, then authorized, captured and settled by
 * the workers, and (when the topology has webhooks) every event of every payment delivered to an endpoint
 * subscribed to all event types, as integrators subscribe; the time until everything drained, what each
 * payment cost in requests to every service, and which partition keys its writes landed on.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRuntime, RuntimeStats } from '../lib/local/runtime.ts';
import { routes } from '../lib/routes.ts';
import { functions, table, type FunctionName } from '../lib/topology.ts';
import { attachCapacityMeter, IndexMembership, type CapacityTotals, type PartitionUnits } from './dynamo-meter.ts';
import { defaultDataKeyCacheLimits } from '../functions/adapters/card-vault.ts';
import { type FunctionUsage, type PaymentUsage } from './cost.ts';
import { estimateSteadyStateKms, type CardKeyUser, type KmsAssumptions, type KmsEstimate } from './kms-model.ts';
import { counterDelta, largerOfEach, sum } from './stats.ts';

export const CARD_PAYMENT = {
  amount: 1050,
  currency: 'USD',
  card_number: '4242 4242 4242 4242',
  expiration_date: '2030-12-31',
  cvc: '123',
};

export interface LifecycleOptions {
  readonly runtime: LocalRuntime;
  readonly apiKey: string;
  readonly payments: number;
  readonly concurrency: number;
  readonly drainTimeoutSeconds: number;
  readonly kmsAssumptions: KmsAssumptions;
  readonly logBytes: () => number;
  readonly progress: (message: string) => void;
}

export interface LifecycleReport {
  readonly payments: number;
  readonly created: number;
  readonly drainSeconds: number;
  readonly drained: boolean;
  /** Final statuses of the created payments, read after the counters stopped. */
  readonly finalStatuses: Record<string, number>;
  readonly webhook: WebhookReport;
  /** Per payment. */
  readonly perPayment: {
    readonly httpRequests: number;
    /**
     * Per operation, the larger of what the meter saw the functions send and what the DynamoDB stand-in
     * received, so that neither a client the meter is not on nor a request the stand-in did not count hides one.
     */
    readonly dynamodbRequests: Record<string, number>;
    readonly dynamodbRequestsSeenByMeter: Record<string, number>;
    readonly dynamodbRequestsSeenByStandIn: Record<string, number>;
    readonly dynamodbReadUnits: number;
    readonly dynamodbWriteUnits: number;
    readonly dynamodbIndexWriteUnits: number;
    readonly sqsRequests: Record<string, number>;
    readonly kmsRequests: Record<string, number>;
    readonly lambdaInvocations: Record<string, number>;
    readonly logBytes: number;
  };
  readonly capacity: CapacityTotals & { readonly source: string };
  /** Write units per payment by partition key, table and indexes together, hottest first. */
  readonly writeUnitsByPartitionKey: {
    readonly hottest: PartitionUnits | undefined;
    readonly top: readonly PartitionUnits[];
    /** The hottest key of the table and of each index written. */
    readonly hottestByPlace: Record<string, PartitionUnits>;
    /** Distinct partition keys written during the measured payments. */
    readonly keysWritten: number;
  };
  /**
   * KMS in steady state in the cloud, which the run cannot see (`perPayment.kmsRequests` is what it saw):
   * what `usage` prices and the target judges.
   */
  readonly kmsEstimate: KmsEstimate;
  readonly usage: PaymentUsage;
  readonly transactionIds: readonly string[];
}

/** What the bench's endpoint subscribes to: every event type, as integrators do. */
const WEBHOOK_SUBSCRIPTION = ['*'] as const;
/** The events every measured payment must have delivered before the lifecycle counts as drained. */
export const EXPECTED_PAYMENT_EVENTS = ['payment.pending', 'payment.authorized', 'payment.captured', 'payment.settled'] as const;
const WARMUP_PAYMENTS = 10;
/** Partition keys listed per payment in the report. */
const PARTITION_KEYS_REPORTED = 10;

export interface WebhookReport {
  readonly step: 'measured' | 'skipped' | 'failed';
  readonly detail: string;
  /** Event types each measured payment must receive. */
  readonly expected: readonly string[];
  /** Measured payments that received every expected type. */
  readonly complete: number;
  /** By event type: how many measured payments received it at least once. */
  readonly paymentsByType: Record<string, number>;
  /** By event type: deliveries received for measured payments, repeats included. */
  readonly deliveriesByType: Record<string, number>;
  /** Deliveries whose `webhook-id` had arrived before (at-least-once delivery). */
  readonly repeats: number;
  /** Every delivery for a measured payment. */
  readonly delivered: number;
}

export async function runLifecycle(options: LifecycleOptions): Promise<LifecycleReport> {
  const { runtime, payments } = options;
  const receiver = await startWebhookReceiver();
  // On from here, so that the meter learns the index keys of what the endpoint and the warm-up write.
  const { dynamoDocumentClient } = await import('../functions/adapters/dynamodb-client.ts');
  const capacity = attachCapacityMeter(dynamoDocumentClient, new IndexMembership([table.partitionKey, table.sortKey], table.indexes));
  try {
    const webhookSetup = await registerWebhook(runtime.url, options.apiKey, receiver.url);
    options.progress(`lifecycle: webhook step ${webhookSetup.step} (${webhookSetup.detail})`);
    const webhooksExpected = webhookSetup.step === 'measured';
    const allDelivered = (ids: readonly string[]) => () => !webhooksExpected || receiver.completePayments(ids) === ids.length;
    // Steady state: a few unmeasured payments first, so that every function's caches (data keys, the
    // webhook endpoint's signing secret) are warm, as they are in a gateway that has been running.
    const warmupIds = await createPayments(runtime.url, options.apiKey, WARMUP_PAYMENTS, options.concurrency);
    await waitForDrain(runtime, options.drainTimeoutSeconds, allDelivered(warmupIds));

    capacity.reset();
    const before = runtime.stats();
    const logBytesBefore = options.logBytes();
    const started = performance.now();

    const transactionIds = await createPayments(runtime.url, options.apiKey, payments, options.concurrency);
    options.progress(`lifecycle: created ${transactionIds.length}/${payments} payments, waiting for them to drain`);
    const drained = await waitForDrain(runtime, options.drainTimeoutSeconds, allDelivered(transactionIds));
    const drainSeconds = (performance.now() - started) / 1000;
    const after = runtime.stats();
    const capacityTotals = capacity.totals();
    const logBytes = options.logBytes() - logBytesBefore;
    const webhook = webhookReport(webhookSetup, receiver, transactionIds);

    const finalStatuses = await readStatuses(runtime.url, options.apiKey, transactionIds);
    const created = Math.max(1, transactionIds.length);
    const perPayment = perPaymentCounts(before, after, capacityTotals, logBytes, created);
    const kmsEstimate = estimateSteadyStateKms(cardKeyUsers(perPayment.lambdaInvocations), defaultDataKeyCacheLimits, options.kmsAssumptions);
    const perKey = (entry: PartitionUnits): PartitionUnits => ({ ...entry, units: entry.units / created });
    return {
      payments,
      created: transactionIds.length,
      drainSeconds,
      drained,
      finalStatuses,
      webhook,
      perPayment,
      capacity: {
        ...capacityTotals,
        source:
          capacityTotals.unreported === 0
            ? 'ConsumedCapacity (ReturnConsumedCapacity TOTAL) as dynalite computes it; index writes estimated'
            : `ConsumedCapacity where dynalite returned it; ${capacityTotals.unreported} requests without it counted as 1 unit each (batches: estimated from item sizes)`,
      },
      writeUnitsByPartitionKey: {
        hottest: capacityTotals.hottestPartitions[0] === undefined ? undefined : perKey(capacityTotals.hottestPartitions[0]),
        top: capacityTotals.hottestPartitions.slice(0, PARTITION_KEYS_REPORTED).map(perKey),
        hottestByPlace: Object.fromEntries(Object.entries(capacityTotals.hottestByPlace).map(([where, entry]) => [where, perKey(entry)])),
        keysWritten: capacityTotals.partitionKeysWritten,
      },
      kmsEstimate,
      usage: paymentUsage(before, after, perPayment, kmsEstimate, created),
      transactionIds,
    };
  } finally {
    capacity.detach();
    await receiver.close();
  }
}

function webhookReport(
  setup: { readonly step: WebhookReport['step']; readonly detail: string },
  receiver: WebhookReceiver,
  transactionIds: readonly string[],
): WebhookReport {
  const received = receiver.received(transactionIds);
  const complete = receiver.completePayments(transactionIds);
  const types = [...new Set([...EXPECTED_PAYMENT_EVENTS, ...Object.keys(received.paymentsByType)])];
  const detail =
    setup.step !== 'measured'
      ? setup.detail
      : `${types.map((type) => `${type} ${received.paymentsByType[type] ?? 0}/${transactionIds.length}`).join(', ')}; ` +
        `${complete} of ${transactionIds.length} payments got every one of ${EXPECTED_PAYMENT_EVENTS.length} events; ` +
        `${received.delivered} deliveries, ${received.repeats} of them repeats`;
  return { step: setup.step, detail, expected: [...EXPECTED_PAYMENT_EVENTS], complete, ...received };
}

function perPaymentCounts(before: RuntimeStats, after: RuntimeStats, capacity: CapacityTotals, logBytes: number, created: number): LifecycleReport['perPayment'] {
  const per = (counts: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count / created]));
  const invocations: Record<string, number> = {};
  for (const [name, stats] of Object.entries(after.functions)) {
    const change = (stats?.invocations ?? 0) - (before.functions[name as FunctionName]?.invocations ?? 0);
    if (change > 0) invocations[name] = change;
  }
  const standIn = counterDelta(before.requestsByOperation.dynamodb, after.requestsByOperation.dynamodb);
  return {
    httpRequests: (after.httpRequests - before.httpRequests) / created,
    dynamodbRequests: per(largerOfEach(capacity.requestsByOperation, standIn)),
    dynamodbRequestsSeenByMeter: per(capacity.requestsByOperation),
    dynamodbRequestsSeenByStandIn: per(standIn),
    dynamodbReadUnits: capacity.readUnits / created,
    dynamodbWriteUnits: capacity.writeUnits / created,
    dynamodbIndexWriteUnits: capacity.indexWriteUnits / created,
    sqsRequests: per(counterDelta(before.requestsByOperation.sqs, after.requestsByOperation.sqs)),
    kmsRequests: per(counterDelta(before.requestsByOperation.kms, after.requestsByOperation.kms)),
    lambdaInvocations: per(invocations),
    logBytes: logBytes / created,
  };
}

/** The functions of the measured payment flow that seal or open card data with the card key. */
function cardKeyUsers(invocations: Readonly<Record<string, number>>): CardKeyUser[] {
  return Object.entries(functions)
    .filter(([name, spec]) => name in invocations && (spec.access.cardKey ?? []).length > 0)
    .map(([name, spec]) => ({ name, operations: spec.access.cardKey ?? [] }));
}

function paymentUsage(
  before: RuntimeStats,
  after: RuntimeStats,
  perPayment: LifecycleReport['perPayment'],
  kmsEstimate: KmsEstimate,
  created: number,
): PaymentUsage {
  const functionUsage: FunctionUsage[] = [];
  for (const [name, stats] of Object.entries(after.functions)) {
    const invocations = (stats?.invocations ?? 0) - (before.functions[name as FunctionName]?.invocations ?? 0);
    if (invocations <= 0 || stats === undefined) continue;
    const memoryMb = name in functions ? functions[name as FunctionName].memoryMb : 512;
    // A running sum, not the recorder's duration samples: those stop at 10,000 per function.
    const billedMs = stats.billedMs - (before.functions[name as FunctionName]?.billedMs ?? 0);
    functionUsage.push({ name, memoryMb, invocations: invocations / created, billedMs: billedMs / created });
  }
  return {
    apiRequests: perPayment.httpRequests,
    functions: functionUsage,
    dynamoReadUnits: perPayment.dynamodbReadUnits,
    dynamoWriteUnits: perPayment.dynamodbWriteUnits + perPayment.dynamodbIndexWriteUnits,
    sqsRequests: sum(Object.values(perPayment.sqsRequests)),
    kmsRequests: kmsEstimate.requestsPerPayment,
    logBytes: perPayment.logBytes,
  };
}

async function createPayments(url: string, apiKey: string, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const response = await fetch(`${url}/payments`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
        body: JSON.stringify(CARD_PAYMENT),
      });
      const body = (await response.json()) as { transaction_id?: unknown };
      if (response.status === 201 && typeof body.transaction_id === 'string') ids.push(body.transaction_id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

async function readStatuses(url: string, apiKey: string, ids: readonly string[]): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (const id of ids) {
    const response = await fetch(`${url}/payments/${id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    const body = (await response.json()) as { status?: unknown };
    const status = response.status === 200 && typeof body.status === 'string' ? body.status : `HTTP ${response.status}`;
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return statuses;
}

/** Waits until every work queue is empty (dead-letter queues aside) and `done()` holds, a few checks in a row. */
export async function waitForDrain(runtime: LocalRuntime, timeoutSeconds: number, done: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let quietChecks = 0;
  while (Date.now() < deadline) {
    const queued = Object.entries(runtime.stats().queues)
      .filter(([name]) => !name.endsWith('-dlq'))
      .reduce((total, [, depth]) => total + depth.visible + depth.inFlight + depth.delayed, 0);
    quietChecks = queued === 0 && done() ? quietChecks + 1 : 0;
    if (quietChecks >= 3) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// --- webhooks -------------------------------------------------------------------------------------------------

interface WebhookReceiver {
  readonly url: string;
  /** How many of these payments have received every expected event type. */
  completePayments(transactionIds: readonly string[]): number;
  /** What these payments received, by event type. */
  received(transactionIds: readonly string[]): Pick<WebhookReport, 'paymentsByType' | 'deliveriesByType' | 'repeats' | 'delivered'>;
  close(): Promise<void>;
}

/**
 * What an endpoint received, by payment and event type: pure, so the drain condition is tested apart from
 * HTTP. A delivery is identified by its Standard Webhooks `webhook-id`, so repeats are told apart.
 */
export class WebhookTally {
  private readonly byPayment = new Map<string, Map<string, number>>();
  private readonly seenIds = new Set<string>();
  private readonly repeatsByPayment = new Map<string, number>();

  /** One delivery's body and `webhook-id`; anything that is not a payment event is ignored. */
  add(body: unknown, webhookId: string | undefined): void {
    if (typeof body !== 'object' || body === null) return;
    const { type, data } = body as { type?: unknown; data?: unknown };
    const transactionId = typeof data === 'object' && data !== null ? (data as { transaction_id?: unknown }).transaction_id : undefined;
    if (typeof type !== 'string' || typeof transactionId !== 'string') return;
    const types = this.byPayment.get(transactionId) ?? new Map<string, number>();
    types.set(type, (types.get(type) ?? 0) + 1);
    this.byPayment.set(transactionId, types);
    if (webhookId !== undefined) {
      if (this.seenIds.has(webhookId)) this.repeatsByPayment.set(transactionId, (this.repeatsByPayment.get(transactionId) ?? 0) + 1);
      this.seenIds.add(webhookId);
    }
  }

  completePayments(transactionIds: readonly string[], expected: readonly string[] = EXPECTED_PAYMENT_EVENTS): number {
    return transactionIds.filter((id) => {
      const types = this.byPayment.get(id);
      return types !== undefined && expected.every((type) => types.has(type));
    }).length;
  }

  received(transactionIds: readonly string[]): Pick<WebhookReport, 'paymentsByType' | 'deliveriesByType' | 'repeats' | 'delivered'> {
    const paymentsByType: Record<string, number> = {};
    const deliveriesByType: Record<string, number> = {};
    let repeats = 0;
    let delivered = 0;
    for (const id of new Set(transactionIds)) {
      for (const [type, count] of this.byPayment.get(id) ?? []) {
        paymentsByType[type] = (paymentsByType[type] ?? 0) + 1;
        deliveriesByType[type] = (deliveriesByType[type] ?? 0) + count;
        delivered += count;
      }
      repeats += this.repeatsByPayment.get(id) ?? 0;
    }
    return { paymentsByType, deliveriesByType, repeats, delivered };
  }
}

/** A merchant's webhook endpoint on loopback that answers 204 to everything and tallies payment events. */
async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const tally = new WebhookTally();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const webhookId = request.headers['webhook-id'];
      try {
        tally.add(JSON.parse(Buffer.concat(chunks).toString('utf8')), typeof webhookId === 'string' ? webhookId : undefined);
      } catch {
        // Not an event: still acknowledged, not counted.
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    completePayments: (ids) => tally.completePayments(ids),
    received: (ids) => tally.received(ids),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function registerWebhook(
  url: string,
  apiKey: string,
  receiverUrl: string,
): Promise<{ step: 'measured' | 'skipped' | 'failed'; detail: string }> {
  const route = routes.find((candidate) => candidate.method === 'POST' && candidate.path === '/webhook_endpoints');
  if (route === undefined) return { step: 'skipped', detail: 'webhook step skipped: no POST /webhook_endpoints in lib/topology.ts' };
  const response = await fetch(`${url}/webhook_endpoints`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ url: receiverUrl, events: WEBHOOK_SUBSCRIPTION }),
  });
  if (response.status !== 201) {
    return { step: 'failed', detail: `POST /webhook_endpoints answered ${response.status}: ${(await response.text()).slice(0, 300)}` };
  }
  return { step: 'measured', detail: `endpoint registered for ${WEBHOOK_SUBSCRIPTION.join(', ')}` };
}
