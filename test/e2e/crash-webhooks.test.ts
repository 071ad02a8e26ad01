/**
 * Nothing is lost, and nothing is sent without its record, when the webhook delivery worker dies halfway.
 * As in crash-recovery.test.ts (the payment workers and the outbox), each test runs `npm start`'s entry point
 * as a real process that kills itself (SIGKILL) at a named point, then starts it again on the same data
 * folder and watches the gateway finish the work.
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/gateway.ts';
import { call, freePort, killGatewayProcesses, startGatewayProcess, TEST_ADMIN_KEY as ADMIN_KEY } from '../support/gateway-process.ts';

afterEach(killGatewayProcesses);

const startGateway = (dataDir: string, port: number, fault?: string, env?: Record<string, string>) =>
  startGatewayProcess({ dataDir, port, fault, ...(env === undefined ? {} : { env }) });

const payment = { amount: 1234, currency: 'USD', card_number: '4242424242424242', expiration_date: '2030-12-31', cvc: '123' };

describe('crash recovery of webhook delivery', () => {
  it('a delivery worker killed after the receiver got the webhook sends it again with the same webhook-id', async () => {
    const received: { id: string; body: string }[] = [];
    const receiver = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ id: String(request.headers['webhook-id']), body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = (receiver.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
    const port = await freePort();
    // No claim holds the attempt: the message comes back after a short visibility timeout and is sent again.
    const first = await startGateway(dataDir, port, 'webhook.after-post');
    const merchant = await call(first.url, 'POST', '/merchants', ADMIN_KEY, { name: 'Hooks', email: 'hooks@example.com', default_currency: 'USD' });
    const key: string = merchant.body.api_key.secret;
    const endpoint = await call(first.url, 'POST', '/webhook_endpoints', key, {
      url: `http://127.0.0.1:${receiverPort}/hook`,
      events: ['payment.pending'],
    });
    expect(endpoint.status).toBe(201);

    // The worker can die before the API has answered: the webhook it sent is what this test follows.
    await call(first.url, 'POST', '/payments', key, payment).catch(() => undefined);
    expect(await first.exited).toBe('SIGKILL');
    const second = await startGateway(dataDir, port);
    await eventually(async () => received.length, (count) => count >= 2, { timeoutMs: 60_000, intervalMs: 100 });
    const eventId = received[0]?.id ?? '';
    const event = await eventually(
      () => call(second.url, 'GET', `/events/${eventId}`, key),
      (read) => read.body?.deliveries?.[0]?.status === 'succeeded',
    );
    receiver.close();

    expect(new Set(received.map((delivery) => delivery.id))).toEqual(new Set([eventId]));
    expect(new Set(received.map((delivery) => delivery.body)).size).toBe(1);
    expect(event.body.type).toBe('payment.pending');
  }, 150_000);

  it('a delivery worker killed after recording a failed attempt, before scheduling the next, still retries', async () => {
    // Arrange: a receiver that fails the first POST and accepts the rest.
    const received: string[] = [];
    const receiver = createHttpServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push(String(request.headers['webhook-id']));
        response.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = (receiver.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
    const port = await freePort();
    // Only a delivery records an attempt: the merchant and its endpoint are made in the process that dies later.
    const crashing = await startGateway(dataDir, port, 'webhook.after-record', { WEBHOOK_RETRY_DELAYS: '0' });
    const merchant = await call(crashing.url, 'POST', '/merchants', ADMIN_KEY, { name: 'Retry', email: 'retry@example.com', default_currency: 'USD' });
    const key: string = merchant.body.api_key.secret;
    const endpoint = await call(crashing.url, 'POST', '/webhook_endpoints', key, { url: `http://127.0.0.1:${receiverPort}/hook`, events: ['payment.pending'] });
    expect(endpoint.status).toBe(201);

    // Act: the retry is due at once (WEBHOOK_RETRY_DELAYS=0), so the test waits for the redelivery alone.
    await call(crashing.url, 'POST', '/payments', key, payment).catch(() => undefined);
    expect(await crashing.exited).toBe('SIGKILL');
    const recovered = await startGateway(dataDir, port, undefined, { WEBHOOK_RETRY_DELAYS: '0' });
    await eventually(async () => received.length, (count) => count >= 2, { timeoutMs: 60_000, intervalMs: 100 });
    const eventId = received[0] ?? '';
    const event = await eventually(
      () => call(recovered.url, 'GET', `/events/${eventId}`, key),
      (read) => read.body?.deliveries?.[0]?.status === 'succeeded',
      { timeoutMs: 30_000 },
    );
    receiver.close();

    // Assert: the failed attempt and the retry, both recorded, same webhook-id.
    expect(new Set(received)).toEqual(new Set([eventId]));
    expect(event.body.deliveries[0].attempts.map((attempt: { status_code: number }) => attempt.status_code)).toEqual([503, 204]);
  }, 150_000);
});
