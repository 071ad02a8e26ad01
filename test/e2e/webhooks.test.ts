/**
 * Webhooks end to end on the local runtime: real receivers on loopback verify every delivery with the
 * `standardwebhooks` package as integrators use it. WEBHOOK_RETRY_DELAYS=0,0 gives three attempts at once,
 * so retries and the dead-letter queue are reached in seconds.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type HttpResult, type TestGateway } from '../support/gateway.ts';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver: `/ok` answers 200, `/flaky` 500 to the first two tries of each webhook-id, `/down` always 503, `/gone` 410. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const triesById = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const id = `${path}|${String(request.headers['webhook-id'])}`;
      const tries = (triesById.get(id) ?? 0) + 1;
      triesById.set(id, tries);
      const status = path === '/ok' ? 200 : path === '/flaky' ? (tries <= 2 ? 500 : 204) : path === '/gone' ? 410 : 503;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const FUTURE = '2030-12-31';

describe('webhooks on the local runtime', () => {
  let gateway: TestGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const previousDelays = process.env.WEBHOOK_RETRY_DELAYS;

  beforeAll(async () => {
    process.env.WEBHOOK_RETRY_DELAYS = '0,0';
    receiver = await startReceiver();
    gateway = await startTestGateway({ runtime: { demoMerchant: false, waitTimeSeconds: 1 } });
  });
  afterAll(async () => {
    await gateway.close();
    await receiver.close();
    if (previousDelays === undefined) delete process.env.WEBHOOK_RETRY_DELAYS;
    else process.env.WEBHOOK_RETRY_DELAYS = previousDelays;
  });

  /** A merchant with one endpoint at `path` of the receiver, and its secret. */
  async function merchantWithEndpoint(path: string, events: string[] = ['*']) {
    const merchant = await gateway.createMerchant('USD');
    const created = await gateway.request('POST', '/webhook_endpoints', {
      key: merchant.apiKey,
      body: { url: `${receiver.url}${path}`, events },
    });
    expect(created.status).toBe(201);
    return { ...merchant, endpointId: created.body.id as string, secret: created.body.secret as string };
  }

  const pay = (key: string) =>
    gateway.request('POST', '/payments', {
      key,
      body: { amount: 1050, currency: 'USD', card_number: '4242 4242 4242 4242', expiration_date: FUTURE },
    });

  /** The merchant's event of `type`, once its one delivery has finished. */
  async function finishedEvent(key: string, type: string): Promise<HttpResult> {
    return eventually(
      () => gateway.request('GET', `/events?type=${type}`, { key }),
      (result: HttpResult) => result.body?.[0]?.deliveries?.[0]?.status !== undefined && result.body[0].deliveries[0].status !== 'pending',
      { timeoutMs: 45_000, intervalMs: 200 },
    ).then((list) => gateway.request('GET', `/events/${String(list.body[0].id)}`, { key }));
  }

  it('shows the signing secret once, and never again', async () => {
    const merchant = await merchantWithEndpoint('/ok', ['payment.captured']);

    const read = await gateway.request('GET', `/webhook_endpoints/${merchant.endpointId}`, { key: merchant.apiKey });
    const list = await gateway.request('GET', '/webhook_endpoints', { key: merchant.apiKey });

    expect(merchant.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: merchant.endpointId, events: ['payment.captured'], status: 'enabled' });
    expect(read.text).not.toContain(merchant.secret.slice(6));
    expect(list.body.map((endpoint: { id: string }) => endpoint.id)).toEqual([merchant.endpointId]);
  });

  it('delivers every event once, signed so that standardwebhooks verifies it, and records the attempt', async () => {
    const merchant = await merchantWithEndpoint('/ok');
    const payment = await pay(merchant.apiKey);
    expect(payment.status).toBe(201);

    const captured = await finishedEvent(merchant.apiKey, 'payment.captured');
    const settled = await finishedEvent(merchant.apiKey, 'payment.settled');

    const mine = receiver.received.filter((request) => request.path === '/ok' && request.body.includes(payment.body.transaction_id));
    const verifier = new Webhook(merchant.secret);
    const verified = mine.map((request) => verifier.verify(request.body, request.headers as Record<string, string>) as { type: string });
    const ids = mine.map((request) => request.headers['webhook-id']);
    expect(verified.map((body) => body.type)).toEqual(expect.arrayContaining(['payment.pending', 'payment.authorized', 'payment.captured', 'payment.settled']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(captured.body.id);
    expect(captured.body.deliveries).toEqual([
      expect.objectContaining({ endpoint_id: merchant.endpointId, status: 'succeeded', attempts: [expect.objectContaining({ attempt: 1, status_code: 200, error: null })] }),
    ]);
    expect(settled.body.deliveries[0].status).toBe('succeeded');
  });

  it('retries a receiver that fails twice, and the third attempt carries the same webhook-id', async () => {
    const merchant = await merchantWithEndpoint('/flaky', ['payment.captured']);
    await pay(merchant.apiKey);

    const event = await finishedEvent(merchant.apiKey, 'payment.captured');

    const tries = receiver.received.filter((request) => request.path === '/flaky' && request.headers['webhook-id'] === event.body.id);
    expect(tries).toHaveLength(3);
    for (const attempt of tries) new Webhook(merchant.secret).verify(attempt.body, attempt.headers as Record<string, string>);
    expect(event.body.deliveries[0]).toMatchObject({ status: 'succeeded' });
    expect(event.body.deliveries[0].attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([500, 500, 204]);
  });

  it('sends the event to the dead-letter queue after the last attempt, and shows it failed', async () => {
    const merchant = await merchantWithEndpoint('/down', ['payment.captured']);
    await pay(merchant.apiKey);

    const event = await finishedEvent(merchant.apiKey, 'payment.captured');
    const deadLetters = await eventually(
      async () => gateway.stats().queues['webhookDelivery-dlq'],
      (depth) => (depth?.visible ?? 0) + (depth?.delayed ?? 0) + (depth?.inFlight ?? 0) >= 1,
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    expect(event.body.deliveries[0]).toMatchObject({ status: 'failed', failure_reason: 'retries_exhausted', next_attempt_at: null });
    expect(event.body.deliveries[0].attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([503, 503, 503]);
    expect(deadLetters?.visible).toBeGreaterThanOrEqual(1);
  });

  it('disables an endpoint that answers 410 Gone, without retrying', async () => {
    const merchant = await merchantWithEndpoint('/gone', ['payment.captured']);
    await pay(merchant.apiKey);

    const event = await finishedEvent(merchant.apiKey, 'payment.captured');
    const endpoint = await gateway.request('GET', `/webhook_endpoints/${merchant.endpointId}`, { key: merchant.apiKey });

    expect(event.body.deliveries[0]).toMatchObject({ status: 'failed', failure_reason: 'endpoint_gone' });
    expect(event.body.deliveries[0].attempts).toHaveLength(1);
    expect(endpoint.body).toMatchObject({ status: 'disabled' });
  });

  it('redelivers a delivered event on request, with the same webhook-id', async () => {
    const merchant = await merchantWithEndpoint('/ok', ['payment.captured']);
    await pay(merchant.apiKey);
    const event = await finishedEvent(merchant.apiKey, 'payment.captured');
    const seen = () => receiver.received.filter((request) => request.headers['webhook-id'] === event.body.id).length;
    expect(seen()).toBe(1);

    const redelivery = await gateway.request('POST', `/events/${String(event.body.id)}/redeliver`, { key: merchant.apiKey });
    await eventually(async () => seen(), (count) => count === 2, { timeoutMs: 20_000, intervalMs: 100 });
    const after = await gateway.request('GET', `/events/${String(event.body.id)}`, { key: merchant.apiKey });

    expect(redelivery.status).toBe(200);
    expect(after.body.deliveries[0].attempts).toHaveLength(2);
  });

  it("refuses a private target and another merchant's endpoint", async () => {
    const merchant = await merchantWithEndpoint('/ok', ['payment.captured']);
    const other = await gateway.createMerchant('USD');

    const privateTarget = await gateway.request('POST', '/webhook_endpoints', {
      key: merchant.apiKey,
      body: { url: 'http://10.0.0.1/hook', events: ['*'] },
    });
    const metadata = await gateway.request('POST', '/webhook_endpoints', {
      key: merchant.apiKey,
      body: { url: 'http://169.254.169.254/latest/meta-data/', events: ['*'] },
    });
    const foreign = await gateway.request('GET', `/webhook_endpoints/${merchant.endpointId}`, { key: other.apiKey });
    const foreignDelete = await gateway.request('DELETE', `/webhook_endpoints/${merchant.endpointId}`, { key: other.apiKey });

    expect(privateTarget.status).toBe(400);
    expect(privateTarget.body).toMatchObject({ code: 'url_not_allowed', param: 'url' });
    expect(metadata.body).toMatchObject({ code: 'url_not_allowed' });
    expect(foreign.status).toBe(404);
    expect(foreignDelete.status).toBe(404);
  });
});
