/**
 * No card number and no CVC in clear anywhere the gateway writes: its logs, every queue message (dead-letter
 * queues included), every DynamoDB item, every file under DATA_DIR, the webhooks it sends, and its answers.
 *
 * The suite drives every path that carries a card, successful and refused: each sandbox test card with a
 * CVC, a saved card, a payment with the saved card, the hosted checkout, card errors that name the card's
 * fields, a body that is not JSON, and webhooks to a receiver that always fails so that deliveries reach
 * their dead-letter queue. Then it scans what the runtime left behind, while the runtime still holds it.
 *
 * The table and DATA_DIR must not hold the merchant's secret key or a session token in clear either (the
 * table keeps only their hashes): the merchant and the checkout session are created with an Idempotency-Key,
 * whose stored response holds them, sealed. Logs and answers are not searched for those two, since the
 * answers that create them legitimately hold them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAME } from '../../lib/local/runtime.ts';
import { eventually, startTestGateway, type HttpResult, type TestGateway } from '../support/gateway.ts';

/** Every card this suite sends, each with a CVC no id or timestamp would contain by chance. */
const cards = [
  { number: '4242424242424242', cvc: '739' },
  { number: '5555555555554444', cvc: '618' },
  { number: '378282246310005', cvc: '8142' },
  { number: '4000000000000002', cvc: '527' },
  { number: '4000000000009995', cvc: '463' },
  { number: '4000000000000119', cvc: '385' },
  { number: '6011111111111117', cvc: '294' },
] as const;
const savedCard = { number: '5200828282828210', cvc: '851' };
const checkoutCard = { number: '4000056655665556', cvc: '907' };
/** Fails Luhn: refused with 402, and its number must not be echoed back or logged either. */
const invalidCard = { number: '4242424242424241', cvc: '672' };

const allCards = [...cards, savedCard, checkoutCard, invalidCard];

/** The ways a number or CVC could show up in clear: as digits, as the client typed it, as a JSON field. */
function forbiddenNeedles(): string[] {
  return allCards.flatMap(({ number, cvc }) => [
    number,
    grouped(number, ' '),
    grouped(number, '-'),
    `"cvc":"${cvc}"`,
    `"cvc": "${cvc}"`,
    `cvc=${cvc}`,
  ]);
}

function grouped(number: string, separator: string): string {
  return number.length === 15
    ? [number.slice(0, 4), number.slice(4, 10), number.slice(10)].join(separator)
    : (number.match(/.{1,4}/g) ?? []).join(separator);
}

function leaksIn(text: string): string[] {
  return forbiddenNeedles().filter((needle) => text.includes(needle));
}

/** The merchant's `sk_` key and the checkout's `cs_` token, filled in once the run has made them. */
const secretsAtRest: string[] = [];

function secretsIn(text: string): string[] {
  return secretsAtRest.filter((secret) => text.includes(secret));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Tees everything a function could log, which Lambda would ship to CloudWatch Logs: stdout and stderr
 * (where the Powertools logger writes), and the global console (which vitest intercepts before the streams).
 */
function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const restores: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    const forward = original.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return forward(chunk, ...rest);
    }) as typeof stream.write;
    restores.push(() => {
      stream.write = original;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      original.apply(console, args);
    };
    restores.push(() => {
      console[method] = original;
    });
  }
  return {
    text: () => chunks.join('\n'),
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}

/** A webhook receiver that records every body and always answers 503. */
async function startFailingReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('card data at rest and in flight', () => {
  const output = captureOutput();
  const answers: HttpResult[] = [];
  const previousDelays = process.env.WEBHOOK_RETRY_DELAYS;
  let gateway: TestGateway;
  let receiver: Awaited<ReturnType<typeof startFailingReceiver>>;

  beforeAll(async () => {
    process.env.WEBHOOK_RETRY_DELAYS = '0';
    receiver = await startFailingReceiver();
    gateway = await startTestGateway({ runtime: { demoMerchant: false, waitTimeSeconds: 1 } });
    const record = async (result: Promise<HttpResult>) => {
      const answer = await result;
      answers.push(answer);
      return answer;
    };
    const merchant = await record(
      gateway.request('POST', '/merchants', {
        key: gateway.adminKey,
        body: { name: 'Card data scan', email: 'owner@example.com', default_currency: 'USD' },
        headers: { 'Idempotency-Key': 'merchant-card-data-scan' },
      }),
    );
    const apiKey: string = merchant.body.api_key.secret;
    const as = (body: unknown) => ({ key: apiKey, body });
    await record(gateway.request('POST', '/webhook_endpoints', as({ url: receiver.url, events: ['*'] })));

    const payments = await Promise.all(
      cards.map(({ number, cvc }) =>
        record(gateway.request('POST', '/payments', as({ amount: 1999, currency: 'USD', card_number: grouped(number, ' '), expiration_date: '2031-08-31', cvc }))),
      ),
    );

    const customer = await record(gateway.request('POST', '/customers', as({ name: 'Card holder' })));
    const saved = await record(
      gateway.request('POST', '/payment_methods', as({ customer_id: customer.body.customer_id, card_number: savedCard.number, exp_month: 9, exp_year: 2032, cvc: savedCard.cvc })),
    );
    payments.push(await record(gateway.request('POST', '/payments', as({ amount: 2500, currency: 'USD', payment_method_id: saved.body.payment_method_id }))));

    const checkout = await record(
      gateway.request('POST', '/checkout_sessions', { ...as({ amount: 4200, currency: 'USD' }), headers: { 'Idempotency-Key': 'order-4200' } }),
    );
    const token = new URL(checkout.body.url).hash.replace(/^#token=/, '');
    secretsAtRest.push(apiKey, token);
    await record(
      gateway.request('POST', '/checkout/pay', {
        key: token,
        body: { card_number: grouped(checkoutCard.number, ' '), exp_month: 10, exp_year: 2030, cvc: checkoutCard.cvc },
      }),
    );

    await record(gateway.request('POST', '/payments', as({ amount: 100, currency: 'USD', card_number: invalidCard.number, expiration_date: '2031-08-31', cvc: invalidCard.cvc })));
    await record(gateway.request('POST', '/payments', as({ amount: 100, currency: 'USD', card_number: cards[0].number, expiration_date: '2031-08-31', cvc: '12' })));
    await record(gateway.request('POST', '/payments', { key: apiKey, rawBody: `{"card_number":"${cards[1].number}","cvc":"${cards[1].cvc}",`, headers: { 'content-type': 'application/json' } }));

    // Every payment has left `pending`, and the receiver's refusals have sent deliveries to their DLQ.
    for (const payment of payments) {
      await eventually(
        () => gateway.request('GET', `/payments/${String(payment.body.transaction_id)}`, { key: apiKey }),
        (read) => read.body.status !== 'pending',
      );
    }
    await eventually(
      async () => gateway.stats().queues['webhookDelivery-dlq']?.visible ?? 0,
      (deadLetters) => deadLetters > 0,
    );
  }, 120_000);

  afterAll(async () => {
    output.restore();
    await gateway?.close();
    await receiver?.close();
    if (previousDelays === undefined) delete process.env.WEBHOOK_RETRY_DELAYS;
    else process.env.WEBHOOK_RETRY_DELAYS = previousDelays;
  });

  it('drove every path it claims to: payments, a saved card, the checkout, refusals, deliveries', () => {
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(cards.length + 5);
    expect(statuses).toEqual(expect.arrayContaining([400, 402]));
    expect(receiver.bodies.length).toBeGreaterThan(0);
    expect(output.text()).toContain('Authorization handled');
    expect(secretsAtRest.map((secret) => secret.slice(0, 3))).toEqual(['sk_', 'cs_']);
  });

  it('leaves none in the logs', () => {
    expect(leaksIn(output.text())).toEqual([]);
  });

  it('leaves none in any DynamoDB item', async () => {
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: gateway.endpoints.dynamodb, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    const items: unknown[] = [];
    for await (const page of paginateScan({ client }, { TableName: TABLE_NAME })) items.push(...(page.Items ?? []));
    client.destroy();

    const text = JSON.stringify(items);
    // The scan sees the card fields the gateway does keep in clear.
    expect(text).toContain('"last4":"4242"');
    // ...and the Idempotency-Key records whose responses held the secret key and the token.
    expect(text).toContain('IDEM#admin#merchant-card-data-scan');
    expect(text).toContain('#order-4200');
    expect(leaksIn(text)).toEqual([]);
    expect(secretsIn(text)).toEqual([]);
  });

  it('leaves none in any file under DATA_DIR, queue journals and dead-letter queues included', () => {
    const files = filesUnder(gateway.dataDir);
    const contents = files.map((file) => readFileSync(file).toString('latin1'));

    // The scan reads the queue journal, which holds every message sent during the run, dead letters included.
    expect(contents.join('\n')).toContain('webhookDelivery-dlq');
    expect(contents.join('\n')).toContain(String(answers.find((answer) => answer.body?.transaction_id)?.body.transaction_id));
    expect(files.filter((_, index) => leaksIn(contents[index] ?? '').length > 0)).toEqual([]);
    expect(files.filter((_, index) => secretsIn(contents[index] ?? '').length > 0)).toEqual([]);
  });

  it('sends none in a webhook and answers none, refusals included', () => {
    expect(leaksIn(receiver.bodies.join('\n'))).toEqual([]);
    expect(leaksIn(answers.map((answer) => answer.text).join('\n'))).toEqual([]);
  });
});
