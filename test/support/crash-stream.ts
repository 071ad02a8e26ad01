/**
 * The crash-in-a-stream scenario of issue 13 (item 9), shared by test/e2e/crash-stream.test.ts (one short run)
 * and bench/crash-soak.ts (many long ones):
 *
 * 1. `npm start`'s entry point as a real process, with LOCAL_VISIBILITY_TIMEOUT_SECONDS, on a fresh DATA_DIR;
 *    a merchant, and a webhook endpoint subscribed to `*` on a loopback receiver that verifies every delivery
 *    with the `standardwebhooks` package, as an integrator does.
 * 2. Payments at a steady rate, each with its own Idempotency-Key, approved and declined cards mixed.
 * 3. SIGKILL at a random moment of the stream (a real kill, no GATEWAY_FAULT), and at once a restart on the
 *    same DATA_DIR and port. The stream goes on meanwhile. Every request whose answer was lost (cut off by the
 *    kill, refused while the gateway was down, 5xx, or 409 `idempotency_key_in_use` while a dead request's
 *    key is still locked) is retried with the same key and body, as a client would, until it gets its 201.
 * 4. Waits until every payment is final (with `sweepOnceAnswered`, after running the outbox sweep at once
 *    rather than waiting for its schedule), then until every webhook it should cause has arrived, and audits:
 *    - lost: a request without a transaction, or a transaction not final (captured, settled, declined);
 *    - doubled: more than one transaction for an Idempotency-Key, a transaction listed twice by
 *      GET /transactions, or one that no request accounts for;
 *    - webhooks missing: an expected event (payment.pending, then payment.declined, or payment.authorized,
 *      payment.captured and, once settled, payment.settled), or any event GET /events lists for these
 *      payments, that never reached the receiver with a valid signature. Duplicates by webhook-id are fine.
 *
 * Everything listens on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { LOCAL_REGION } from '../../lib/local/account.ts';
import { SqsStore } from '../../lib/local/sqs-store.ts';
import { call, freePort, startGatewayProcess, TEST_ADMIN_KEY, type CallResult, type GatewayProcess } from './gateway-process.ts';

export const APPROVED_CARD = '4242 4242 4242 4242';
export const DECLINED_CARD = '4000 0000 0000 0002';

export interface CrashStreamOptions {
  readonly payments: number;
  readonly ratePerSecond: number;
  /** LOCAL_VISIBILITY_TIMEOUT_SECONDS of both processes. */
  readonly visibilityTimeoutSeconds: number;
  /** LOCAL_BATCHING_WINDOW_SECONDS of both processes; the topology's windows (1 to 5 s) unless given. */
  readonly batchingWindowSeconds?: number;
  /**
   * Once every request is answered, run the outbox sweep, with no grace period, in the restarted process:
   * what the kill left unpublished goes on at once instead of at the first sweep a minute after its write
   * (the test's choice; the soak, unless told, waits for the schedule as `npm start` runs it).
   */
  readonly sweepOnceAnswered?: boolean;
  /**
   * Where in the stream the kill falls, from 0 (first payment) to 1 (last); random in [0.2, 0.8] unless
   * given. The kill comes 0 to 50 ms (at random) after that payment's request is sent, so that it finds
   * requests half done as often as not, besides the workers' batches.
   */
  readonly killAtFraction?: number;
  /** Seeds the card mix and the kill's moment; random unless given (the report says which). */
  readonly seed?: number;
  /** Share of declined cards; a third unless given. */
  readonly declinedShare?: number;
  /** How long after the stream's end the payments may take to be answered and to become final. */
  readonly finalTimeoutMs?: number;
  /** How long after that the webhooks may take to arrive. */
  readonly webhookTimeoutMs?: number;
  /**
   * IDEMPOTENCY_LOCK_SECONDS of both processes: how long a request the kill cut short holds its key before
   * the client's retry may take it over; 30 s (the default) unless given.
   */
  readonly idempotencyLockSeconds?: number;
  /** Keep DATA_DIR even when nothing went wrong (it is always kept when something did). */
  readonly keepDataDir?: boolean;
  /** Progress lines; silent unless given. */
  readonly log?: (line: string) => void;
}

export interface LostPayment {
  readonly idempotencyKey: string;
  readonly transactionId: string | undefined;
  readonly status: string | undefined;
  readonly reason: string;
}

export interface MissingWebhook {
  readonly idempotencyKey: string;
  readonly transactionId: string;
  readonly type: string;
  /** Undefined when GET /events does not list the event at all. */
  readonly eventId: string | undefined;
  /** What GET /events/{id} showed for it (its deliveries and attempts). */
  readonly event: unknown;
}

export interface CrashStreamReport {
  readonly seed: number;
  readonly visibilityTimeoutSeconds: number;
  readonly dataDir: string;
  readonly dataDirKept: boolean;
  readonly payments: number;
  readonly declinedCards: number;
  /** Distinct transactions the requests' answers name. */
  readonly created: number;
  /** Requests sent and not yet answered when the process was killed. */
  readonly inFlightAtKill: number;
  /** Requests that needed more than one try (answer cut off, refused while down, 409 while locked, 5xx). */
  readonly retried: number;
  /** Retries answered from the idempotency record (`Idempotent-Replayed: true`). */
  readonly replayed: number;
  readonly lost: readonly LostPayment[];
  /** Idempotency-Keys (or transaction ids nobody asked for) with more than one transaction, or listed twice. */
  readonly doubled: readonly string[];
  /** Captured payments that had not settled when the audit ran (final, but worth knowing). */
  readonly unsettled: number;
  readonly webhooksExpected: number;
  readonly webhooksMissing: readonly MissingWebhook[];
  /** Deliveries whose signature standardwebhooks refused. */
  readonly unverified: number;
  /** Deliveries of a webhook-id received before (allowed). */
  readonly duplicateDeliveries: number;
  /** (transaction, type) pairs GET /events lists more than once, as `txn_…/payment.captured ×2`. */
  readonly duplicateEvents: readonly string[];
  /** Messages in each dead-letter queue after the run, read from DATA_DIR once the gateway stopped. */
  readonly deadLetters: Readonly<Record<string, number>>;
  readonly unexpectedAnswers: readonly string[];
  readonly timings: {
    readonly killAtMs: number;
    readonly restartMs: number;
    readonly streamMs: number;
    readonly finalMs: number;
    readonly webhooksMs: number;
    readonly totalMs: number;
  };
  /** No loss, no double charge, no missing or unverified webhook, no unexpected answer. */
  readonly ok: boolean;
}

interface Received {
  readonly webhookId: string;
  readonly verified: boolean;
  readonly type: string | undefined;
  readonly transactionId: string | undefined;
}

interface Outcome {
  readonly index: number;
  readonly idempotencyKey: string;
  readonly declinedCard: boolean;
  readonly transactionId: string | undefined;
  readonly tries: number;
  readonly replayed: boolean;
  /** Why no 201 came, when none did. */
  readonly failure: string | undefined;
}

const FINAL = new Set(['captured', 'settled', 'declined']);
const FIRST_AMOUNT = 1000;

export async function runCrashStream(options: CrashStreamOptions): Promise<CrashStreamReport> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? randomBytes(4).readUInt32BE(0);
  const random = mulberry32(seed);
  const killAtFraction = options.killAtFraction ?? 0.2 + 0.6 * random();
  const declinedShare = options.declinedShare ?? 1 / 3;
  const declined = Array.from({ length: options.payments }, () => random() < declinedShare);
  const intervalMs = 1000 / options.ratePerSecond;
  const streamSpanMs = (options.payments - 1) * intervalMs;
  const killIndex = Math.round(killAtFraction * (options.payments - 1));
  const killDelayMs = Math.floor(random() * 50);
  const finalTimeoutMs = options.finalTimeoutMs ?? 120_000 + 2 * options.visibilityTimeoutSeconds * 1000;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 60_000 + 2 * options.visibilityTimeoutSeconds * 1000;
  const runId = randomBytes(4).toString('hex');
  const startedAt = Date.now();

  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-stream-'));
  const port = await freePort();
  const receiver = await startReceiver();
  const processOptions = {
    dataDir,
    port,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    // A real kill only, and the default retry schedule and sweep grace, as `npm start` runs.
    env: {
      GATEWAY_FAULT: undefined,
      WEBHOOK_RETRY_DELAYS: undefined,
      OUTBOX_SWEEP_GRACE_SECONDS: undefined,
      HOST: '127.0.0.1',
      LOCAL_BATCHING_WINDOW_SECONDS: options.batchingWindowSeconds === undefined ? undefined : String(options.batchingWindowSeconds),
      IDEMPOTENCY_LOCK_SECONDS: options.idempotencyLockSeconds === undefined ? undefined : String(options.idempotencyLockSeconds),
    },
  };
  // The sweep the test runs takes what the kill left however young it is: by then every request is answered,
  // so no writer is about to publish it.
  const restartOptions =
    options.sweepOnceAnswered === true ? { ...processOptions, env: { ...processOptions.env, OUTBOX_SWEEP_GRACE_SECONDS: '0' } } : processOptions;
  let gateway: GatewayProcess = await startGatewayProcess(processOptions);
  const url = gateway.url;
  const unexpectedAnswers: string[] = [];
  /** Requests sent and not answered yet. */
  const inFlight = new Set<number>();
  let stopped = false;
  try {
    const merchant = await call(url, 'POST', '/merchants', TEST_ADMIN_KEY, {
      name: 'Crash stream',
      email: 'crash-stream@example.com',
      default_currency: 'USD',
    });
    if (merchant.status !== 201) throw new Error(`POST /merchants answered ${merchant.status}: ${JSON.stringify(merchant.body)}`);
    const key: string = merchant.body.api_key.secret;
    const endpoint = await call(url, 'POST', '/webhook_endpoints', key, { url: `${receiver.url}/hook`, events: ['*'] });
    if (endpoint.status !== 201) throw new Error(`POST /webhook_endpoints answered ${endpoint.status}: ${JSON.stringify(endpoint.body)}`);
    receiver.verifyWith(String(endpoint.body.secret));
    log(`seed ${seed}: ${options.payments} payments at ${options.ratePerSecond}/s, visibility ${options.visibilityTimeoutSeconds} s, ` +
        `kill ${killDelayMs} ms after payment ${killIndex} is sent`);

    // The stream, and the kill and restart in the middle of it.
    let inFlightAtKill = 0;
    let restartMs = 0;
    let killAtMs = 0;
    const streamStart = Date.now();
    const giveUpAt = streamStart + streamSpanMs + finalTimeoutMs;
    const killAndRestart = async (): Promise<void> => {
      await sleep(killDelayMs);
      inFlightAtKill = inFlight.size;
      const killedAt = Date.now();
      killAtMs = killedAt - streamStart;
      gateway.child.kill('SIGKILL');
      const how = await gateway.exited;
      if (how !== 'SIGKILL') throw new Error(`the gateway ended with ${String(how)}, not SIGKILL`);
      gateway = await startGatewayProcess(restartOptions);
      restartMs = Date.now() - killedAt;
      log(`killed at ${killAtMs} ms with ${inFlightAtKill} requests in flight; back after ${restartMs} ms`);
    };
    let crash: Promise<void> | undefined;
    const requests: Promise<Outcome>[] = [];
    for (let index = 0; index < options.payments; index += 1) {
      const due = streamStart + index * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const idempotencyKey = `crash-stream-${runId}-${index}`;
      requests.push(pay(url, key, index, idempotencyKey, declined[index] === true, giveUpAt));
      if (index === killIndex) {
        crash = killAndRestart();
        // Awaited after the stream; meanwhile a failed restart must not count as an unhandled rejection.
        crash.catch(() => undefined);
      }
    }
    await crash;
    const outcomes = await Promise.all(requests);
    const streamMs = Date.now() - streamStart;
    for (const outcome of outcomes) if (outcome.failure !== undefined) unexpectedAnswers.push(`${outcome.idempotencyKey}: ${outcome.failure}`);
    const retried = outcomes.filter((outcome) => outcome.tries > 1).length;
    log(`stream answered in ${streamMs} ms; ${retried} requests retried`);
    if (options.sweepOnceAnswered === true) {
      const swept = (await gateway.runSchedule('outboxSweep')) as { published?: number };
      log(`outbox sweep run: ${String(swept.published)} entries published`);
    }

    // Every payment final, and settled where it can be, within the deadline.
    const answered = new Map(outcomes.flatMap((outcome) => (outcome.transactionId === undefined ? [] : [[outcome.transactionId, outcome] as const])));
    const finalStart = Date.now();
    let listed: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
    for (;;) {
      listed = await listAll(url, key, '/transactions');
      const statusOf = new Map(listed.map((transaction) => [String(transaction.transaction_id), String(transaction.status)]));
      const settledOrDeclined = [...answered.keys()].every((id) => ['settled', 'declined'].includes(statusOf.get(id) ?? ''));
      if (settledOrDeclined || Date.now() > giveUpAt) break;
      await sleep(250);
    }
    const finalMs = Date.now() - finalStart;

    // Lost and doubled, from GET /transactions.
    const lost: LostPayment[] = [];
    const doubled: string[] = [];
    const listings = new Map<string, any[]>(); // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
    for (const transaction of listed) {
      const id = String(transaction.transaction_id);
      listings.set(id, [...(listings.get(id) ?? []), transaction]);
    }
    for (const [id, copies] of listings) if (copies.length > 1) doubled.push(`${id} listed ${copies.length} times`);
    const byKey = new Map<string, string[]>();
    for (const [id, [transaction]] of listings) {
      const owner = String(transaction?.metadata?.idempotency_key ?? '');
      if (owner === '' || !outcomes.some((outcome) => outcome.idempotencyKey === owner)) doubled.push(`${id}: a transaction no request accounts for`);
      byKey.set(owner, [...(byKey.get(owner) ?? []), id]);
    }
    let unsettled = 0;
    const expected = new Map<string, { outcome: Outcome; types: string[] }>();
    for (const outcome of outcomes) {
      const ids = byKey.get(outcome.idempotencyKey) ?? [];
      if (ids.length > 1) doubled.push(`${outcome.idempotencyKey}: ${ids.length} transactions (${ids.join(', ')})`);
      if (outcome.transactionId !== undefined && ids.length > 0 && !ids.includes(outcome.transactionId)) {
        doubled.push(`${outcome.idempotencyKey}: answered ${outcome.transactionId}, but GET /transactions has ${ids.join(', ')}`);
      }
      const id = outcome.transactionId ?? ids[0];
      const transaction = id === undefined ? undefined : listings.get(id)?.[0];
      const status: string | undefined = transaction?.status;
      if (id === undefined || transaction === undefined) {
        const read = id === undefined ? undefined : await call(url, 'GET', `/payments/${id}`, key).catch(() => undefined);
        lost.push({
          idempotencyKey: outcome.idempotencyKey,
          transactionId: id,
          status: read?.body?.status,
          reason: id === undefined ? `no transaction (${outcome.failure ?? 'no answer'})` : `not listed by GET /transactions (GET /payments/${id}: ${read?.status ?? 'no answer'})`,
        });
        continue;
      }
      if (status === undefined || !FINAL.has(status)) {
        lost.push({ idempotencyKey: outcome.idempotencyKey, transactionId: id, status, reason: `not final after ${finalMs} ms` });
        continue;
      }
      if ((status === 'declined') !== outcome.declinedCard) {
        unexpectedAnswers.push(`${outcome.idempotencyKey}: a ${outcome.declinedCard ? 'declined' : 'approved'} card ended ${status}`);
      }
      if (status === 'captured') unsettled += 1;
      const types =
        status === 'declined'
          ? ['payment.pending', 'payment.declined']
          : ['payment.pending', 'payment.authorized', 'payment.captured', ...(status === 'settled' ? ['payment.settled'] : [])];
      expected.set(id, { outcome, types });
    }
    log(`final after ${finalMs} ms: ${listings.size} transactions, ${lost.length} lost, ${doubled.length} doubled, ${unsettled} not settled`);

    // Every expected webhook, verified.
    const webhooksStart = Date.now();
    const webhookDeadline = webhooksStart + webhookTimeoutMs;
    const missingTypes = (): { id: string; type: string }[] =>
      [...expected].flatMap(([id, { types }]) => types.filter((type) => !receiver.verifiedTypes(id).has(type)).map((type) => ({ id, type })));
    while (missingTypes().length > 0 && Date.now() < webhookDeadline) await sleep(250);
    // Then whatever else GET /events lists for these payments must have arrived too (a payment.settled
    // recorded after the audit above, say): waited for within the same deadline.
    let events = await listAll(url, key, '/events');
    const unreceived = () =>
      events.filter((event) => expected.has(String(event.data?.transaction_id)) && !receiver.verifiedIds().has(String(event.id)));
    while (unreceived().length > 0 && Date.now() < webhookDeadline) {
      await sleep(250);
      events = await listAll(url, key, '/events');
    }
    const webhooksMs = Date.now() - webhooksStart;
    const webhooksMissing: MissingWebhook[] = [];
    const reported = new Set<string>();
    const eventOf = new Map<string, string>();
    const counts = new Map<string, number>();
    for (const event of events) {
      const pair = `${String(event.data?.transaction_id)}/${String(event.type)}`;
      eventOf.set(pair, String(event.id));
      counts.set(pair, (counts.get(pair) ?? 0) + 1);
    }
    const duplicateEvents = [...counts].filter(([pair, count]) => count > 1 && expected.has(pair.split('/')[0] ?? '')).map(([pair, count]) => `${pair} ×${count}`);
    const describe = async (id: string, type: string, eventId: string | undefined): Promise<void> => {
      if (eventId !== undefined && reported.has(eventId)) return;
      if (eventId !== undefined) reported.add(eventId);
      const event = eventId === undefined ? undefined : (await call(url, 'GET', `/events/${eventId}`, key).catch(() => undefined))?.body;
      const idempotencyKey = expected.get(id)?.outcome.idempotencyKey ?? '';
      webhooksMissing.push({ idempotencyKey, transactionId: id, type, eventId, event });
    };
    for (const { id, type } of missingTypes()) await describe(id, type, eventOf.get(`${id}/${type}`));
    for (const event of unreceived()) await describe(String(event.data?.transaction_id), String(event.type), String(event.id));
    const webhooksExpected = [...expected.values()].reduce((sum, { types }) => sum + types.length, 0);
    log(`webhooks after ${webhooksMs} ms: ${webhooksExpected} expected, ${webhooksMissing.length} missing, ${receiver.unverified()} unverified`);

    const timings = { killAtMs, restartMs, streamMs, finalMs, webhooksMs, totalMs: 0 };
    const ok = lost.length === 0 && doubled.length === 0 && webhooksMissing.length === 0 && receiver.unverified() === 0 && unexpectedAnswers.length === 0;
    const deadLetters = await stopAndCountDeadLetters(gateway, dataDir);
    log(
      `stopped; dead letters ${JSON.stringify(deadLetters)}, ${receiver.duplicates()} duplicate deliveries, ` +
        `${duplicateEvents.length} events listed twice, ${outcomes.filter((outcome) => outcome.replayed).length} answers replayed`,
    );
    const dataDirKept = !ok || options.keepDataDir === true;
    if (!dataDirKept) rmSync(dataDir, { recursive: true, force: true });
    return {
      seed,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      dataDir,
      dataDirKept,
      payments: options.payments,
      declinedCards: declined.filter(Boolean).length,
      created: answered.size,
      inFlightAtKill,
      retried,
      replayed: outcomes.filter((outcome) => outcome.replayed).length,
      lost,
      doubled,
      unsettled,
      webhooksExpected,
      webhooksMissing,
      unverified: receiver.unverified(),
      duplicateDeliveries: receiver.duplicates(),
      duplicateEvents,
      deadLetters,
      unexpectedAnswers,
      timings: { ...timings, totalMs: Date.now() - startedAt },
      ok,
    };
  } catch (error) {
    throw new Error(`crash stream (seed ${seed}, DATA_DIR ${dataDir} kept) failed: ${error instanceof Error ? error.message : String(error)}\n` +
      `gateway output, last lines:\n${gateway.output().slice(-4000)}`, { cause: error });
  } finally {
    stopped = true;
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    await receiver.close();
  }

  /** One payment, tried until it is answered 201 or the deadline passes, always with the same key and body. */
  async function pay(url: string, key: string, index: number, idempotencyKey: string, declinedCard: boolean, giveUpAt: number): Promise<Outcome> {
    const body = {
      amount: FIRST_AMOUNT + index,
      currency: 'USD',
      card_number: declinedCard ? DECLINED_CARD : APPROVED_CARD,
      expiration_date: '2030-12-31',
      cvc: '123',
      metadata: { idempotency_key: idempotencyKey },
    };
    let tries = 0;
    let last = '';
    for (;;) {
      tries += 1;
      let answer: CallResult | undefined;
      inFlight.add(index);
      try {
        answer = await call(url, 'POST', '/payments', key, body, { 'idempotency-key': idempotencyKey }, AbortSignal.timeout(30_000));
      } catch (error) {
        last = `no answer (${causeOf(error)})`;
      } finally {
        inFlight.delete(index);
      }
      if (answer?.status === 201) {
        return {
          index,
          idempotencyKey,
          declinedCard,
          transactionId: String(answer.body.transaction_id),
          tries,
          replayed: answer.headers.get('idempotent-replayed') === 'true',
          failure: undefined,
        };
      }
      if (answer !== undefined) {
        last = `${answer.status} ${String(answer.body?.code ?? '')}`;
        const retryable = answer.status >= 500 || answer.status === 429 || (answer.status === 409 && answer.body?.code === 'idempotency_key_in_use');
        if (!retryable) return { index, idempotencyKey, declinedCard, transactionId: undefined, tries, replayed: false, failure: last };
      }
      if (Date.now() > giveUpAt || stopped) return { index, idempotencyKey, declinedCard, transactionId: undefined, tries, replayed: false, failure: `gave up after ${tries} tries: ${last}` };
      // Backoff with jitter, 250 ms doubling to 2 s, as a client library would.
      await sleep(Math.min(2000, 250 * 2 ** Math.min(tries - 1, 3)) * (0.75 + 0.5 * Math.random()));
    }
  }
}

/** A loopback receiver that checks each delivery's signature with standardwebhooks and answers 204. */
async function startReceiver() {
  const received: Received[] = [];
  const verifiedByTransaction = new Map<string, Set<string>>();
  const verifiedIds = new Set<string>();
  const seen = new Set<string>();
  let duplicates = 0;
  let verifier: Webhook | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhookId = String(request.headers['webhook-id']);
      let payload: { type?: string; data?: { transaction_id?: string } } | undefined;
      try {
        payload = verifier?.verify(body, request.headers as Record<string, string>) as typeof payload;
      } catch {
        payload = undefined;
      }
      const verified = payload !== undefined;
      if (seen.has(webhookId)) duplicates += 1;
      seen.add(webhookId);
      const transactionId = payload?.data?.transaction_id;
      received.push({ webhookId, verified, type: payload?.type, transactionId });
      if (verified && transactionId !== undefined && payload?.type !== undefined) {
        verifiedIds.add(webhookId);
        const types = verifiedByTransaction.get(transactionId) ?? new Set<string>();
        types.add(payload.type);
        verifiedByTransaction.set(transactionId, types);
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    verifyWith: (secret: string) => {
      verifier = new Webhook(secret);
    },
    verifiedTypes: (transactionId: string): ReadonlySet<string> => verifiedByTransaction.get(transactionId) ?? new Set(),
    verifiedIds: (): ReadonlySet<string> => verifiedIds,
    unverified: () => received.filter((delivery) => !delivery.verified).length,
    duplicates: () => duplicates,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every item of a list, following its `Link: <...>; rel="next"` pages. */
async function listAll(url: string, key: string, path: string): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
  const items: unknown[] = [];
  let next: string | undefined = `${path}?limit=100`;
  while (next !== undefined) {
    const page: CallResult = await call(url, 'GET', next, key);
    if (page.status !== 200) throw new Error(`GET ${next} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...(page.body as unknown[]));
    const link = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
    next = link === undefined ? undefined : link.startsWith('http') ? link.slice(new URL(link).origin.length) : link;
  }
  return items as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
}

/** Stops the gateway cleanly, then reads how many messages each dead-letter queue holds. */
async function stopAndCountDeadLetters(gateway: GatewayProcess, dataDir: string): Promise<Record<string, number>> {
  gateway.child.kill('SIGTERM');
  const stopped = await Promise.race([gateway.exited.then(() => true), sleep(20_000).then(() => false)]);
  if (!stopped) {
    gateway.child.kill('SIGKILL');
    await gateway.exited;
  }
  const store = SqsStore.open({ dataDir: join(dataDir, 'sqs'), region: LOCAL_REGION });
  try {
    return Object.fromEntries(
      store
        .queueNames()
        .filter((name) => name.endsWith('-dlq'))
        .map((name) => {
          const depth = store.depth(name);
          return [name, depth.visible + depth.inFlight + depth.delayed];
        }),
    );
  } finally {
    store.close();
  }
}

function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ((error.cause as { code?: string }).code ?? error.cause.message) : undefined;
  return cause === undefined ? error.message : `${error.message}: ${cause}`;
}

/** A small seeded PRNG, so that a run's card mix and kill moment can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
