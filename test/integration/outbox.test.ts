import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { OutboxStore, SWEEP_GRACE_MS, commandEntry, eventEntry, type OutboxEntry } from '../../functions/adapters/outbox.ts';
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
    outbox = new OutboxStore(table.db, table.tableName, queue, { clock: () => now });
  });

  const eventFor = (merchantId: string, txnId: string): OutboxEntry =>
    eventEntry({ id: newId('event'), type: 'payment.pending', merchantId, created: new Date(now).toISOString(), data: { txnId } });
  const entriesFor = (merchantId: string, txnId: string): OutboxEntry[] => [
    eventFor(merchantId, txnId),
    commandEntry('authorization', { transaction_id: txnId }),
  ];

  const readItem = async (txnId: string) =>
    (await table.db.send(new GetCommand({ TableName: table.tableName, Key: keys.transaction(txnId), ConsistentRead: true })))
      .Item;
  const sentTo = (name: string) => queue.sent.filter((message) => message.queue === name);

  it('sends the events as one fan-out message first, then each command naming its entry', async () => {
    // Arrange
    const txnId = newId('transaction');
    const entries = [eventFor('mer_a', txnId), eventFor('mer_a', txnId), commandEntry('authorization', { transaction_id: txnId })];

    // Act
    await outbox.publish(entries);

    // Assert
    expect(queue.sent.map((message) => message.queue)).toEqual(['webhookFanout', 'authorization']);
    expect(queue.sent[0]?.body).toEqual({
      events: entries.slice(0, 2).map((entry) => (entry.kind === 'event' ? { id: entry.id, type: entry.type, merchantId: 'mer_a', created: entry.created, data: { txnId } } : undefined)),
    });
    expect(queue.sent[1]?.body).toEqual({ transaction_id: txnId, outbox_entry: entries[2]?.id });
  });

  it('publishes and clears the entries of a write no consumer will take out', async () => {
    // Arrange
    const txnId = newId('transaction');
    const entries = [eventFor('mer_b', txnId)];
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_b', status: 'pending' }, entries);

    // Act
    await outbox.publishAndClear(keys.transaction(txnId), entries, 1);

    // Assert
    expect(sentTo('webhookFanout')).toHaveLength(1);
    const item = await readItem(txnId);
    expect(item?.outbox).toEqual({});
    expect(item?.outbox_pending).toBeUndefined();
  });

  it('publishes, on the sweep, what a writer that died after its write left behind, once per grace period', async () => {
    // Arrange
    const txnId = newId('transaction');
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_c', status: 'pending' }, entriesFor('mer_c', txnId));
    // The writer dies here: no publish.

    // Act
    const tooSoon = await outbox.sweep();
    now += SWEEP_GRACE_MS + 1;
    const swept = await outbox.sweep();
    const againAtOnce = await outbox.sweep();

    // Assert
    expect(tooSoon).toBe(0);
    expect(swept).toBe(2);
    expect(sentTo('authorization')).toHaveLength(1);
    expect(sentTo('webhookFanout')).toHaveLength(1);
    // The command's consumer has not taken it out yet: it stays marked, but is not sent again before the grace period.
    expect(againAtOnce).toBe(0);
    expect((await readItem(txnId))?.outbox_pending).toBeDefined();
  });

  it('lets a consumer replace the batch its command came from, which takes the item out of the sweep', async () => {
    // Arrange
    const txnId = newId('transaction');
    const first = entriesFor('mer_d', txnId);
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_d', status: 'pending' }, first);
    const second = [eventFor('mer_d', txnId)];

    // Act
    const outcome = await outbox.update({
      key: keys.transaction(txnId),
      set: { status: 'authorized' },
      expectedVersion: 1,
      entries: second,
      replaces: first.map((entry) => entry.id),
      sweepable: false,
    });

    // Assert
    expect(outcome).toBe('written');
    const item = await readItem(txnId);
    expect(Object.keys(item?.outbox ?? {})).toEqual(second.map((entry) => entry.id));
    expect(item?.outbox_pending).toBeUndefined();
    now += SWEEP_GRACE_MS + 1;
    expect(await outbox.sweep()).toBe(0);
  });

  it("leaves a newer write's sweep marker when an older write's relay clears its own entries late", async () => {
    // Arrange: W1 writes E1 (marked); W2 publishes E1 itself and replaces it with E2 (marked); then W1's
    // relay, late, clears what it wrote. W2 dies before publishing E2.
    const txnId = newId('transaction');
    const first = [eventFor('mer_g', txnId)];
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_g', status: 'captured' }, first);
    const second = [eventFor('mer_g', txnId)];
    await outbox.update({
      key: keys.transaction(txnId),
      set: { status: 'refunded' },
      expectedVersion: 1,
      entries: second,
      replaces: first.map((entry) => entry.id),
      sweepable: true,
    });

    // Act
    await outbox.clear(keys.transaction(txnId), first, 1);
    now += SWEEP_GRACE_MS + 1;
    const swept = await outbox.sweep();

    // Assert: E2 is still marked, and the sweep publishes it.
    expect(swept).toBe(1);
    expect(queue.events().map((event) => event.id)).toEqual(second.map((entry) => entry.id));
  });

  it('refuses a change based on a stale version and changes nothing', async () => {
    // Arrange
    const txnId = newId('transaction');
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_e', status: 'pending' }, []);
    await outbox.update({ key: keys.transaction(txnId), set: { status: 'canceled' }, expectedVersion: 1, entries: [], sweepable: true });

    // Act
    const outcome = await outbox.update({
      key: keys.transaction(txnId),
      set: { status: 'authorized' },
      expectedVersion: 1,
      entries: entriesFor('mer_e', txnId),
      sweepable: true,
    });

    // Assert
    expect(outcome).toBe('condition_failed');
    const item = await readItem(txnId);
    expect(item).toMatchObject({ status: 'canceled', version: 2, outbox: {} });
  });

  it('clears the index marker when racing relays already published everything', async () => {
    // Arrange
    const txnId = newId('transaction');
    const entries = [eventFor('mer_f', txnId)];
    await outbox.create({ ...keys.transaction(txnId), merchantId: 'mer_f', status: 'pending' }, entries);

    // Act
    await Promise.all([outbox.publishAndClear(keys.transaction(txnId), entries, 1), outbox.publishPending(keys.transaction(txnId))]);
    now += SWEEP_GRACE_MS + 1;
    await outbox.sweep();

    // Assert
    expect((await readItem(txnId))?.outbox_pending).toBeUndefined();
  });
});
