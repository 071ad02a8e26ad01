import { describe, expect, it } from 'vitest';
import { SESSION_LIFETIME_SECONDS } from '../../../functions/hosted/session.ts';
import { makeConsoleHandler } from '../../../functions/hosted/console-handler.ts';
import type { EventTimelines, TransactionReader } from '../../../functions/hosted/ports.ts';
import type { RecordedEvent } from '../../../functions/webhooks/ports.ts';
import { pendingTransaction } from '../../support/memory-transactions.ts';
import { apiEvent, jsonOf, lambdaContext } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';
import { MemorySessions } from './memory-sessions.ts';

const opened = new Date('2030-01-01T00:00:00.000Z');
const transaction = pendingTransaction('txn_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E', opened);
const merchantId = transaction.merchantId;

const created: RecordedEvent = {
  event: { id: 'evt_1', type: 'payment.created', merchantId, created: opened.toISOString(), data: { transaction_id: transaction.id, status: 'pending' } },
  deliveries: [
    {
      eventId: 'evt_1',
      endpointId: 'we_1',
      merchantId,
      status: 'pending',
      round: 1,
      nextAttempt: 2,
      nextAttemptAt: opened.getTime() + 5_000,
      attempts: [{ attempt: 1, at: opened.toISOString(), statusCode: null, latencyMs: 10_000, error: 'timeout' }],
      failureReason: undefined,
      lastRedeliveryId: undefined,
    },
  ],
};

async function build() {
  let now = opened;
  const sessions = new MemorySessions(() => now);
  const { session } = await sessions.create({ id: 'csl_1', kind: 'console', merchantId });
  const transactions: TransactionReader = {
    list: async () => ({ transactions: [transaction], lastId: undefined }),
    getOwned: async (owner, id) => (owner === merchantId && id === transaction.id ? transaction : undefined),
  };
  const events: EventTimelines = { timelineOf: async () => ({ events: [created], complete: false }) };
  const handler = makeConsoleHandler({ sessions, transactions, events, now: () => now, ...memoryPipeline() });
  const caller = { principal: 'console_session', merchantId, sessionId: session.id } as const;
  return { handler, caller, setNow: (at: Date) => (now = at) };
}

const getTransaction = (caller: Awaited<ReturnType<typeof build>>['caller'], id: string) =>
  apiEvent('GET', '/console/transactions/{transaction_id}', { caller, path: `/console/transactions/${id}`, pathParameters: { transaction_id: id } });

describe('the console function', () => {
  it("shows a transaction's timeline with each delivery's attempts, and says it is cut short", async () => {
    const { handler, caller } = await build();

    const response = await handler(getTransaction(caller, transaction.id), lambdaContext);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toMatchObject({
      transaction: { transaction_id: transaction.id, status: 'pending' },
      timeline: [
        {
          event_id: 'evt_1',
          type: 'payment.created',
          status: 'pending',
          deliveries: [{ endpoint_id: 'we_1', status: 'pending', attempts: [{ attempt: 1, at: opened.toISOString(), status_code: null, error: 'timeout' }] }],
        },
      ],
      timeline_complete: false,
    });
  });

  it('answers 404 for a transaction the merchant does not have', async () => {
    const { handler, caller } = await build();

    const response = await handler(getTransaction(caller, 'txn_01JD2Z8Q7F3X4Y5Z6A7B8C9D0Z'), lambdaContext);

    expect(response.statusCode).toBe(404);
  });

  it('refuses the session with 401 once the clock passes its lifetime', async () => {
    const { handler, caller, setNow } = await build();
    setNow(new Date(opened.getTime() + SESSION_LIFETIME_SECONDS * 1000 + 1));

    const response = await handler(apiEvent('GET', '/console/transactions', { caller }), lambdaContext);

    expect(response.statusCode).toBe(401);
  });
});
