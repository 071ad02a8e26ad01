import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { OutboxStore, commandEntry, eventEntry, type OutboxEntry } from '../../functions/adapters/outbox.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { newId } from '../../functions/core/ids.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';

describe('outbox on single-item writes', () => {
  let table: TestTable;
  let queue: RecordingQueueSender;
  let now: number;
  let outbox: OutboxStore;

  beforeAll(async () => {
    table = await startTestTable();
  });
  afterAll(() => table.close());
  beforeEach(() => {
    queue = new RecordingQueueSender();
    now = Date.now();
    outbox = new OutboxStore(table.db, table.tableName, queue, () => now);
  });

  const entriesFor = (merchantId: string, txnId: string): OutboxEntry[] => {
    const eventId = newId('event');
    const created = new Date(now).toISOString();
    return [
      eventEntry({ id: eventId, type: 'payment.pending', merchantId, created, data: { txnId } }),
      commandEntry('authorization', { transaction_id: txnId }),
    ];
  };

  const readItem = async (txnId: string) =>
    (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.transaction(txnId), ConsistentRead: true })))
      .Item;

  it('records the event, sends the command, and empties the outbox', async () => {
    const txnId = newId('transaction');
    const entries = entriesFor('mer_a', txnId);

    await outbox.create({ ...keys.transaction(txnId), status: 'pending' }, entries);
    await outbox.publish(keys.transaction(txnId), entries);

    const eventId = entries[0]?.id ?? '';
    const event = (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.event(eventId) }))).Item;
    expect(event).toMatchObject({ type: 'payment.pending', merchantId: 'mer_a', gsi1pk: 'MER#mer_a#EVT' });
    // The command, and the event's fan-out to webhooks (sent in parallel, so in either order).
    expect(queue.sent).toHaveLength(2);
    expect(queue.sent).toEqual(
      expect.arrayContaining([
        { queue: 'authorization', body: { transaction_id: txnId }, delaySeconds: undefined },
        { queue: 'webhookFanout', body: { event_id: eventId }, delaySeconds: undefined },
      ]),
    );
    const item = await readItem(txnId);
    expect(item?.outbox).toEqual({});
    expect(item?.outbox_pending).toBeUndefined();
  });

  it('publishes, on the sweep, what a writer that died after its write left behind', async () => {
    const txnId = newId('transaction');
    const entries = entriesFor('mer_b', txnId);
    await outbox.create({ ...keys.transaction(txnId), status: 'pending' }, entries);
    // The writer dies here: no publish.

    const tooSoon = await outbox.sweep();
    now += 60_000;
    const swept = await outbox.sweep();

    expect(tooSoon).toBe(0);
    expect(swept).toBe(2);
    expect(queue.sent.filter((m) => (m.body as { transaction_id: string }).transaction_id === txnId)).toHaveLength(1);
    expect((await readItem(txnId))?.outbox_pending).toBeUndefined();
    now += 60_000;
    expect(await outbox.sweep()).toBe(0);
  });

  it('keeps entries a newer change added while an older batch was being published', async () => {
    const txnId = newId('transaction');
    const first = entriesFor('mer_c', txnId);
    await outbox.create({ ...keys.transaction(txnId), status: 'pending' }, first);
    const second = entriesFor('mer_c', txnId);
    const outcome = await outbox.update({
      key: keys.transaction(txnId),
      set: { status: 'authorized' },
      expectedVersion: 1,
      entries: second,
    });

    await outbox.publish(keys.transaction(txnId), first);

    expect(outcome).toBe('written');
    const item = await readItem(txnId);
    expect(Object.keys(item?.outbox ?? {}).sort()).toEqual(second.map((e) => e.id).sort());
    expect(item?.outbox_pending).toBeDefined();
    now += 60_000;
    expect(await outbox.sweep()).toBe(2);
    expect((await readItem(txnId))?.outbox_pending).toBeUndefined();
  });

  it('refuses a change based on a stale version and changes nothing', async () => {
    const txnId = newId('transaction');
    await outbox.create({ ...keys.transaction(txnId), status: 'pending' }, []);
    await outbox.update({ key: keys.transaction(txnId), set: { status: 'canceled' }, expectedVersion: 1, entries: [] });

    const outcome = await outbox.update({
      key: keys.transaction(txnId),
      set: { status: 'authorized' },
      expectedVersion: 1,
      entries: entriesFor('mer_d', txnId),
    });

    expect(outcome).toBe('condition_failed');
    const item = await readItem(txnId);
    expect(item).toMatchObject({ status: 'canceled', version: 2, outbox: {} });
  });

  it('clears the index marker when racing relays already published everything', async () => {
    const txnId = newId('transaction');
    const entries = entriesFor('mer_e', txnId);
    await outbox.create({ ...keys.transaction(txnId), status: 'pending' }, entries);

    await Promise.all([outbox.publish(keys.transaction(txnId), entries), outbox.publishPending(keys.transaction(txnId))]);
    now += 60_000;
    await outbox.sweep();

    expect((await readItem(txnId))?.outbox_pending).toBeUndefined();
  });
});
