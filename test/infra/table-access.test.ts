/**
 * The table grants (dynamodb:LeadingKeys per function, lib/constructs/table-access.ts) against what the functions
 * really do: the whole gateway runs locally through a scenario that calls every route and drives every worker,
 * each DynamoDB call is recorded with the function that made it, and each must be allowed by that function's
 * IAM policy as synthesized. Locally nothing enforces IAM, so this is what stops a function from reaching, in
 * the cloud, for an item its grants do not name.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { env, functionNames, functions, type FunctionName } from '../../lib/topology.ts';
import { eventually } from '../support/gateway.ts';
import { logicalIdOf, ofType, references, synthesize, type Synthesized } from './synth.ts';
import { recordingHandlers, type TableCall } from './table-access-recorder.ts';

let runtime: LocalRuntime;
let receiver: Server;
let receiverUrl: string;
let received = 0;
let gone = 0;
const recorder = recordingHandlers();
const FUTURE = '2031-12-31';

beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/gone') {
        gone += 1;
        response.writeHead(410).end();
        return;
      }
      received += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // The sweep below must take a write made an instant before, not leave it a minute to its writer.
  process.env[env.outboxSweepGraceSeconds] = '0';
  runtime = await startLocalRuntime({
    dataDir: mkdtempSync(join(tmpdir(), 'gateway-table-access-')),
    port: 0,
    overrides: recorder.handlers,
    demoMerchant: false,
  });
}, 120_000);
afterAll(async () => {
  await runtime?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the scenario reads arbitrary JSON fields
}

async function request(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: {
      ...headers,
      ...(key === '' ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: text === '' || !text.startsWith('{') && !text.startsWith('[') ? undefined : JSON.parse(text) };
}

function tokenOf(url: string): string {
  return new URL(url).hash.replace(/^#token=/, '');
}

async function scenario(): Promise<void> {
  const call = async (method: string, path: string, key: string, body?: unknown, headers?: Record<string, string>) => {
    const result = await request(method, path, key, body, headers);
    if (result.status >= 400) throw new Error(`${method} ${path}: ${result.status} ${result.text}`);
    return result;
  };
  const settledStatus = (key: string, id: string, done: (status: string) => boolean) =>
    eventually(() => call('GET', `/payments/${id}`, key), (result) => done(String(result.body?.status)));

  await call('GET', '/health', '');
  const merchant = await call('POST', '/merchants', runtime.adminApiKey, { name: 'A', email: 'a@example.com', default_currency: 'USD' }, { 'Idempotency-Key': 'merchant-a' });
  const key = String(merchant.body.api_key.secret);
  const rotated = await call('POST', '/api_keys', key, {}, { 'Idempotency-Key': 'rotate-1' });
  await call('POST', '/api_keys', key, {}, { 'Idempotency-Key': 'rotate-1' });
  await call('DELETE', `/api_keys/${rotated.body.id}`, key);

  const endpoint = await call('POST', '/webhook_endpoints', key, { url: `${receiverUrl}/hooks`, events: ['*'] }, { 'Idempotency-Key': 'endpoint-1' });
  // Answers 410: the delivery worker disables it.
  await call('POST', '/webhook_endpoints', key, { url: `${receiverUrl}/gone`, events: ['payment.pending'] });
  await call('GET', '/webhook_endpoints', key);
  await call('GET', `/webhook_endpoints/${endpoint.body.id}`, key);

  const customer = await call('POST', '/customers', key, { name: 'Ada' }, { 'Idempotency-Key': 'customer-1' });
  const customerId = customer.body.customer_id;
  await call('GET', `/customers/${customerId}`, key);
  const card1 = await call('POST', '/payment_methods', key, { customer_id: customerId, card_number: '4242424242424242', exp_month: 12, exp_year: 2031 });
  const card2 = await call('POST', '/payment_methods', key, { customer_id: customerId, card_number: '5555555555554444', exp_month: 12, exp_year: 2031 });
  await call('GET', `/customers/${customerId}/payment_methods`, key);
  await call('PUT', '/payment_methods', key, { customer_id: customerId, payment_method_id: card2.body.payment_method_id });

  const order = await call('POST', '/orders', key, { amount: 1200, customer_id: customerId }, { 'Idempotency-Key': 'order-1' });
  await call('GET', `/orders/${order.body.order_id}`, key);

  const paid = await call('POST', '/payments', key, { amount: 1200, card_number: '4242 4242 4242 4242', expiration_date: FUTURE, order_id: order.body.order_id }, { 'Idempotency-Key': 'pay-1' });
  await call('POST', '/payments', key, { amount: 1200, card_number: '4242 4242 4242 4242', expiration_date: FUTURE, order_id: order.body.order_id }, { 'Idempotency-Key': 'pay-1' });
  const saved = await call('POST', '/payments', key, { amount: 700, payment_method_id: card1.body.payment_method_id, capture: false, customer_id: customerId });
  const byDefault = await call('POST', '/payments', key, { amount: 300, customer_id: customerId });
  const declined = await call('POST', '/payments', key, { amount: 100, card_number: '4000000000000002', expiration_date: FUTURE });
  const failing = await call('POST', '/payments', key, { amount: 100, card_number: '4000000000000119', expiration_date: FUTURE });
  const toCancel = await call('POST', '/payments', key, { amount: 100, card_number: '4242424242424242', expiration_date: FUTURE, capture: false });

  await settledStatus(key, paid.body.transaction_id, (status) => status === 'settled');
  await settledStatus(key, saved.body.transaction_id, (status) => status === 'authorized');
  await call('POST', `/payments/${saved.body.transaction_id}/capture`, key, { amount: 500 });
  await settledStatus(key, byDefault.body.transaction_id, (status) => status === 'settled');
  await call('POST', `/payments/${byDefault.body.transaction_id}/refunds`, key, { amount: 100 });
  await settledStatus(key, declined.body.transaction_id, (status) => status === 'declined');
  await settledStatus(key, failing.body.transaction_id, (status) => status === 'failed');
  await settledStatus(key, toCancel.body.transaction_id, (status) => status === 'authorized');
  await call('POST', `/payments/${toCancel.body.transaction_id}/cancel`, key, {});
  await call('GET', `/transactions?customer_id=${customerId}`, key);
  await call('GET', '/transactions?status=settled&limit=5', key);

  await call('DELETE', `/payment_methods/${card2.body.payment_method_id}`, key);

  const events = await call('GET', '/events?limit=100', key);
  const someEvent = events.body[0]?.id as string;
  await call('GET', `/events/${someEvent}`, key);
  await call('POST', `/events/${someEvent}/redeliver`, key, {}, { 'Idempotency-Key': 'redeliver-1' });

  // Hosted pages.
  const checkout = await call('POST', '/checkout_sessions', key, { amount: 900, currency: 'USD', customer_id: customerId }, { 'Idempotency-Key': 'chk-1' });
  const checkoutToken = tokenOf(checkout.body.url);
  await call('GET', '/checkout', checkoutToken);
  await call('POST', '/checkout/pay', checkoutToken, { card_number: '4242424242424242', exp_month: 12, exp_year: 2031, cvc: '123' }, { 'Idempotency-Key': 'chk-pay-1' });
  await eventually(() => call('GET', '/checkout', checkoutToken), (result) => JSON.stringify(result.body).includes('captured') || JSON.stringify(result.body).includes('settled'));
  await call('DELETE', '/checkout', checkoutToken);
  const ordered = await call('POST', '/orders', key, { amount: 400 });
  const orderCheckout = await call('POST', '/checkout_sessions', key, { order_id: ordered.body.order_id });
  await call('POST', '/checkout/pay', tokenOf(orderCheckout.body.url), { card_number: '4000000000000002', exp_month: 12, exp_year: 2031, cvc: '123' });
  await call('DELETE', `/checkout_sessions/${orderCheckout.body.id}`, key);

  const portal = await call('POST', '/portal_sessions', key, { customer_id: customerId });
  const portalToken = tokenOf(portal.body.url);
  await call('GET', '/wallet', portalToken);
  const walletCard = await call('POST', '/wallet/payment_methods', portalToken, { card_number: '378282246310005', exp_month: 11, exp_year: 2032, cvc: '1234' });
  await call('PUT', '/wallet/default_payment_method', portalToken, { payment_method_id: walletCard.body.payment_method_id ?? walletCard.body.id });
  await call('GET', '/wallet/transactions', portalToken);
  await call('DELETE', `/wallet/payment_methods/${card1.body.payment_method_id}`, portalToken);
  await call('DELETE', '/wallet', portalToken);
  const portal2 = await call('POST', '/portal_sessions', key, { customer_id: customerId });
  await call('DELETE', `/portal_sessions/${portal2.body.id}`, key);

  const consoleSession = await call('POST', '/console_sessions', key, {}, { 'Idempotency-Key': 'console-1' });
  const consoleToken = tokenOf(consoleSession.body.url);
  await call('GET', '/console/transactions', consoleToken);
  await call('GET', `/console/transactions/${paid.body.transaction_id}`, consoleToken);
  await call('DELETE', '/console', consoleToken);
  const console2 = await call('POST', '/console_sessions', key, {});
  await call('DELETE', `/console_sessions/${console2.body.id}`, key);

  await request('GET', '/pages/checkout', '');
  await eventually(async () => ({ received, gone }), (counts) => counts.received >= 10 && counts.gone >= 1);
  await call('DELETE', `/webhook_endpoints/${endpoint.body.id}`, key);

  // A consumer whose write fails once: until its message comes back, the create's outbox is still marked, and
  // the outbox relay's sweep publishes it again.
  recorder.failOnce(
    (tableCall, input) =>
      tableCall.fn === 'authorizeWorker' && tableCall.action === 'dynamodb:UpdateItem' && String(input.UpdateExpression).includes('outbox_pending'),
  );
  const stranded = await call('POST', '/payments', key, { amount: 100, card_number: '4000000000000002', expiration_date: FUTURE });
  await runtime.runSchedule('outboxSweep');
  await settledStatus(key, stranded.body.transaction_id, (status) => status === 'declined');
  await eventually(
    () => call('GET', `/events?limit=100`, key),
    (result) => (result.body as { type: string; data: { transaction_id?: string } }[]).some(
      (event) => event.type === 'payment.declined' && event.data.transaction_id === stranded.body.transaction_id,
    ),
  );
}

interface Statement {
  readonly Effect: string;
  readonly Action: readonly string[];
  readonly Resource: readonly unknown[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a function's role, as synthesized (the dev stage; prod's grants are the same). */
function statementsOf(synthesized: Synthesized, name: FunctionName): Statement[] {
  const roleId = logicalIdOf(synthesized.stack.functions[name].role);
  const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  return ofType(synthesized.resources, 'AWS::IAM::ManagedPolicy')
    .filter(([, policy]) => asArray(policy.Properties?.Roles).some((role) => references(role, roleId)))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
    .map((statement) => ({
      Effect: String(statement.Effect),
      Action: asArray(statement.Action).map(String),
      Resource: asArray(statement.Resource),
      ...(statement.Condition === undefined ? {} : { Condition: statement.Condition as Record<string, Record<string, unknown>> }),
    }));
}

/** IAM's `StringLike`: `*` any run of characters, `?` one. */
function like(pattern: string, value: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 's').test(value);
}

/** Whether IAM would allow the call, given the operators these grants use (anything else fails the test). */
function allowed(statements: readonly Statement[], call: TableCall, tableId: string): boolean {
  const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
  const resource = JSON.stringify(call.target === 'table' ? tableArn : { 'Fn::Join': ['', [tableArn, `/index/${call.target}`]] });
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow' || !statement.Action.includes(call.action)) return false;
    if (!statement.Resource.some((candidate) => JSON.stringify(candidate) === resource)) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, tests]) => {
      if (operator !== 'ForAllValues:StringLike' || Object.keys(tests).join() !== 'dynamodb:LeadingKeys') {
        throw new Error(`unexpected condition ${operator} ${Object.keys(tests).join()}`);
      }
      const patterns = tests['dynamodb:LeadingKeys'] as string[];
      return call.partitions.every((partition) => patterns.some((pattern) => like(pattern, partition)));
    });
  });
}

describe('what each function touches in the table', () => {
  let calls: readonly TableCall[];
  let synthesized: Synthesized;

  beforeAll(async () => {
    synthesized = synthesize('dev');
    await scenario();
    calls = [...recorder.calls];
  }, 240_000);

  it('is exercised for every function that uses the table, the outbox relay\'s sweep and publish included', () => {
    const callers = new Set(calls.map((call) => call.fn));

    expect(functionNames.filter((name) => functions[name].access.table !== undefined && !callers.has(name))).toEqual([]);
    // The sweep publishes a stranded outbox and clears it.
    expect(calls.some((call) => call.fn === 'outboxRelay' && call.action === 'dynamodb:UpdateItem')).toBe(true);
    expect(calls.some((call) => call.fn === 'webhookDelivery' && call.partitions.some((partition) => partition.startsWith('WHE#')) && call.action === 'dynamodb:UpdateItem')).toBe(true);
  });

  it('names the partition of every item call and every index query, so that each can be checked', () => {
    const unnamed = calls.filter((call) => call.partitions.length === 0 && call.target !== 'outbox');

    expect(unnamed).toEqual([]);
  });

  it("is allowed, call by call, by the function's synthesized IAM policy", () => {
    const tableId = logicalIdOf(synthesized.stack.table);
    const policies = new Map(functionNames.map((name) => [name, statementsOf(synthesized, name)]));
    const refused = new Set<string>();
    for (const call of calls) {
      if (!allowed(policies.get(call.fn) ?? [], call, tableId)) {
        refused.add(`${call.fn} ${call.action} on ${call.target} ${call.partitions.join(' ')}`);
      }
    }

    // Each line is a call IAM would refuse in the cloud: list its kind of item in lib/constructs/table-access.ts.
    expect([...refused].sort()).toEqual([]);
  });
});
