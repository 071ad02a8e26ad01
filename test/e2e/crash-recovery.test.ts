/**
 * Nothing is lost, and nothing is done twice, when the process dies halfway through a payment: in the API
 * before its outbox is published, or in the authorize worker (the webhook delivery worker's crashes are
 * crash-webhooks.test.ts's). Each test runs `npm start`'s entry point as a real process that kills itself
 * (SIGKILL) at a named point, then starts it again on the same data folder and watches the gateway finish
 * the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/gateway.ts';
import { call, freePort, killGatewayProcesses, startGatewayProcess, TEST_ADMIN_KEY as ADMIN_KEY } from '../support/gateway-process.ts';

afterEach(killGatewayProcesses);

const startGateway = (dataDir: string, port: number, fault?: string, env?: Record<string, string>) =>
  startGatewayProcess({ dataDir, port, fault, ...(env === undefined ? {} : { env }) });

const payment = { amount: 1234, currency: 'USD', card_number: '4242424242424242', expiration_date: '2030-12-31', cvc: '123' };

describe('crash recovery of the local runtime', () => {
  it('a worker killed between the processor answer and its write authorizes once after redelivery', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
    const port = await freePort();
    const first = await startGateway(dataDir, port, 'authorize.after-processor');
    const merchant = await call(first.url, 'POST', '/merchants', ADMIN_KEY, {
      name: 'Crash test',
      email: 'crash@example.com',
      default_currency: 'USD',
    });
    const key: string = merchant.body.api_key.secret;
    // The worker may die before the API has answered; then the client retries with the same Idempotency-Key,
    // as a real one would, and gets the payment the first request created (or creates it).
    const createPayment = (url: string) => call(url, 'POST', '/payments', key, payment, { 'idempotency-key': 'crash-payment' });
    const answered = await createPayment(first.url).catch(() => undefined);

    expect(await first.exited).toBe('SIGKILL');
    const second = await startGateway(dataDir, port);
    const created = answered ?? (await eventually(() => createPayment(second.url), (r) => r.status === 201, { timeoutMs: 60_000, intervalMs: 250 }));
    expect(created.status).toBe(201);
    const id: string = created.body.transaction_id;
    const final = await eventually(
      () => call(second.url, 'GET', `/payments/${id}`, key),
      (r) => ['captured', 'settled'].includes(r.body?.status),
      { timeoutMs: 60_000 },
    );
    const types = await eventually(
      async () =>
        ((await call(second.url, 'GET', '/events?limit=100', key)).body as { type: string; data: { transaction_id: string } }[])
          .filter((event) => event.data.transaction_id === id)
          .map((event) => event.type),
      (found) => found.includes('payment.captured'),
      { timeoutMs: 30_000 },
    );

    expect(final.body.amount_captured).toBe(1234);
    expect(types.filter((type) => type === 'payment.authorized')).toHaveLength(1);
    expect(types.filter((type) => type === 'payment.captured')).toHaveLength(1);
    expect(types.filter((type) => type === 'payment.pending')).toHaveLength(1);
  }, 150_000);

  it('a payment written but not yet published when the API died is authorized by the outbox sweep', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
    const port = await freePort();
    // Only a payment creates a transaction: the merchant is made in the process that dies later.
    const crashing = await startGateway(dataDir, port, 'transactions.after-create');
    const merchant = await call(crashing.url, 'POST', '/merchants', ADMIN_KEY, {
      name: 'Outbox test',
      email: 'outbox@example.com',
      default_currency: 'USD',
    });
    const key: string = merchant.body.api_key.secret;
    await expect(call(crashing.url, 'POST', '/payments', key, payment)).rejects.toThrow();
    expect(await crashing.exited).toBe('SIGKILL');
    // Without a grace period the sweep takes the entry however young it is, and the test runs the sweep
    // rather than wait for its every-minute schedule.
    const recovered = await startGateway(dataDir, port, undefined, { OUTBOX_SWEEP_GRACE_SECONDS: '0' });
    const listed = await call(recovered.url, 'GET', '/transactions', key);
    expect(listed.body).toHaveLength(1);
    const id: string = listed.body[0].transaction_id;
    expect(listed.body[0].status).toBe('pending');

    const swept = (await recovered.runSchedule('outboxSweep')) as { published: number };
    const final = await eventually(
      () => call(recovered.url, 'GET', `/payments/${id}`, key),
      (r) => ['captured', 'settled'].includes(r.body?.status),
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    expect(swept.published).toBeGreaterThan(0);
    expect(final.body.amount_captured).toBe(1234);
  }, 180_000);

  it('a worker killed after its write, before publishing, publishes when its message comes back', async () => {
    // Arrange: the authorize worker's write (captured, with its events and the settlement command) is its
    // first `apply`; it dies right after it.
    const dataDir = mkdtempSync(join(tmpdir(), 'gateway-crash-'));
    const port = await freePort();
    const first = await startGateway(dataDir, port, 'transactions.after-apply');
    const merchant = await call(first.url, 'POST', '/merchants', ADMIN_KEY, { name: 'Relay', email: 'relay@example.com', default_currency: 'USD' });
    const key: string = merchant.body.api_key.secret;
    const createPayment = (url: string) => call(url, 'POST', '/payments', key, payment, { 'idempotency-key': 'relay-payment' });
    const answered = await createPayment(first.url).catch(() => undefined);

    // Act
    expect(await first.exited).toBe('SIGKILL');
    const second = await startGateway(dataDir, port);
    const created = answered ?? (await eventually(() => createPayment(second.url), (r) => r.status === 201, { timeoutMs: 60_000, intervalMs: 250 }));
    const id: string = created.body.transaction_id;
    const final = await eventually(() => call(second.url, 'GET', `/payments/${id}`, key), (r) => r.body?.status === 'settled', { timeoutMs: 60_000 });
    const types = await eventually(
      async () =>
        ((await call(second.url, 'GET', '/events?limit=100', key)).body as { type: string; data: { transaction_id: string } }[])
          .filter((event) => event.data.transaction_id === id)
          .map((event) => event.type)
          .sort(),
      (found) => found.length >= 4,
      { timeoutMs: 30_000 },
    );

    // Assert: settled, and each event recorded once although it was published again.
    expect(final.body.amount_captured).toBe(1234);
    expect(types).toEqual(['payment.authorized', 'payment.captured', 'payment.pending', 'payment.settled']);
  }, 150_000);
});
