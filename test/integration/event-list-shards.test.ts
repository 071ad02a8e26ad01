import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRepository } from '../../functions/adapters/event-repository.ts';
import { eventShardOf, newEventIdAbout } from '../../functions/adapters/keys.ts';
import type { GatewayEvent } from '../../functions/core/event.ts';
import { newId } from '../../functions/core/ids.ts';
import { DeliveryStore } from '../../functions/adapters/webhook-delivery-store.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';

/**
 * A merchant's events live in 32 table partitions, each event in the shard of what it is about; the list
 * merges them newest first, each event with its deliveries, under one cursor.
 */
describe("a merchant's events over sharded partitions", () => {
  let table: TestTable;
  let events: EventRepository;
  const merchantId = 'mer_EVENTS';
  const recorded: GatewayEvent[] = [];
  const transactionIds = Array.from({ length: 12 }, () => newId('transaction'));

  beforeAll(async () => {
    table = await startTestTable();
    events = new EventRepository(table.db, table.tableName);
    const deliveries = new DeliveryStore(table.db, table.tableName);
    const start = Date.parse('2030-01-01T00:00:00Z');
    for (let n = 0; n < 36; n += 1) {
      const transactionId = transactionIds[n % transactionIds.length] ?? '';
      const event: GatewayEvent = {
        id: newEventIdAbout(transactionId),
        type: n % 3 === 0 ? 'payment.settled' : 'payment.pending',
        merchantId,
        created: new Date(start + n * 1000).toISOString(),
        data: { transaction_id: transactionId },
      };
      recorded.push(event);
    }
    await events.record(recorded.map((event) => ({ event, endpointIds: ['we_A', 'we_B'] })), start);
    // One delivery attempted for every other event; the rest show as due.
    for (const event of recorded.filter((_, n) => n % 2 === 0)) {
      await deliveries.record(
        { merchant_id: merchantId, event_id: event.id, endpoint_id: 'we_A', round: 1, attempt: 1 },
        { attempt: { attempt: 1, at: event.created, statusCode: 204, latencyMs: 3, error: null }, status: 'succeeded', now: start },
      );
    }
    await events.record([{ event: { ...recordedAt(0), id: newId('event'), merchantId: 'mer_OTHER' }, endpointIds: [] }], start);
  });
  afterAll(() => table.close());

  const pageThrough = async (filter: { limit: number; type?: string }) => {
    const seen: string[] = [];
    let startingAfter: string | undefined;
    for (let pages = 0; pages < 100; pages += 1) {
      const page = await events.list({ merchantId, ...filter, ...(startingAfter === undefined ? {} : { startingAfter }) });
      seen.push(...page.events.map(({ event }) => event.id));
      if (page.lastId === undefined) return seen;
      startingAfter = page.lastId;
    }
    throw new Error('the list never ended');
  };
  const recordedAt = (n: number): GatewayEvent => {
    const event = recorded[n];
    if (event === undefined) throw new Error(`no event ${n}`);
    return event;
  };
  const newestFirst = (list: readonly GatewayEvent[]) => list.map((event) => event.id).sort().reverse();

  it('keeps each transaction\'s events in one shard, and spreads the merchant\'s over many', () => {
    const shardsOf = (transactionId: string) =>
      new Set(recorded.filter((event) => event.data.transaction_id === transactionId).map((event) => eventShardOf(event.id)));

    expect(transactionIds.every((id) => shardsOf(id).size === 1)).toBe(true);
    expect(new Set(recorded.map((event) => eventShardOf(event.id))).size).toBeGreaterThan(4);
  });

  it.each([1, 7, 100])('comes back newest first, with no repeat and no gap, %i to a page', async (limit) => {
    expect(await pageThrough({ limit })).toEqual(newestFirst(recorded));
  });

  it('pages a type filter the same way', async () => {
    expect(await pageThrough({ limit: 5, type: 'payment.settled' })).toEqual(
      newestFirst(recorded.filter((event) => event.type === 'payment.settled')),
    );
  });

  it('shows each event with its deliveries: attempted ones as recorded, the others as due', async () => {
    const first = recordedAt(0);
    const second = recordedAt(1);

    const [attempted, due] = await Promise.all([events.getOwned(merchantId, first.id), events.getOwned(merchantId, second.id)]);

    expect(attempted?.deliveries.map((delivery) => [delivery.endpointId, delivery.status, delivery.attempts.length])).toEqual([
      ['we_A', 'succeeded', 1],
      ['we_B', 'pending', 0],
    ]);
    expect(due?.deliveries.map((delivery) => [delivery.endpointId, delivery.status, delivery.attempts.length])).toEqual([
      ['we_A', 'pending', 0],
      ['we_B', 'pending', 0],
    ]);
    expect(await events.getOwned('mer_OTHER', first.id)).toBeUndefined();
  });

  it("reads one transaction's timeline from its shard, oldest first", async () => {
    const transactionId = transactionIds[3] ?? '';

    // Event ids are made now; the transaction was made a little before its first event.
    const timeline = await events.timelineOf(merchantId, transactionId, new Date(Date.now() - 60_000).toISOString());

    expect(timeline.complete).toBe(true);
    expect(timeline.events.map(({ event }) => event.id)).toEqual(
      recorded.filter((event) => event.data.transaction_id === transactionId).map((event) => event.id).sort(),
    );
  });
});
