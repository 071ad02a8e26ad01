/**
 * The bench's DynamoDB meter: requests by operation, write units by partition key of the table and of each
 * index, and the hottest one. Most cases feed the ledger requests and answers directly; two go through a
 * real document client (one with a stubbed transport, one against dynalite) so that the middleware is shown
 * to see the commands by the names and in the shape the ledger expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  assignedAttributes,
  attachCapacityMeter,
  CapacityLedger,
  IndexMembership,
  itemWriteUnits,
  UNRESOLVED_KEY,
  type MeteredIndex,
} from '../../bench/dynamo-meter.ts';
import { localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';

/** Indexes shaped like the gateway's: one projecting the whole item, one keys only, one small projection. */
const INDEXES: Record<string, MeteredIndex> = {
  byOwner: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  byMerchant: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: [] },
  outbox: { partitionKey: 'outbox_pending', sortKey: 'pk', projection: ['outbox_at'] },
};

const ledger = (): CapacityLedger => new CapacityLedger(new IndexMembership(['pk', 'sk'], INDEXES));
const written = (units: number) => ({ output: { ConsumedCapacity: { TableName: 't', CapacityUnits: units } } });
const unitsOn = (meter: CapacityLedger, where: string, key: string): number | undefined =>
  meter.totals().hottestPartitions.find((entry) => entry.where === where && entry.key === key)?.units;
const setStatus = (id: string, status: string) => ({
  Key: { pk: `TXN#${id}`, sk: 'TXN' },
  UpdateExpression: 'SET #s = :s',
  ExpressionAttributeNames: { '#s': 'status' },
  ExpressionAttributeValues: { ':s': status },
});

describe('write units by partition key', () => {
  it('finds the index partition that every payment of a merchant writes, with its units', () => {
    const meter = ledger();
    for (const id of ['1', '2', '3']) {
      meter.record('PutItemCommand', { Item: { pk: `TXN#${id}`, sk: 'TXN', gsi1pk: 'MER#m#TXN', gsi1sk: id, status: 'pending' } }, written(2));
      meter.record('UpdateItemCommand', setStatus(id, 'authorized'), written(2));
      meter.record('UpdateItemCommand', setStatus(id, 'settled'), written(2));
    }

    const totals = meter.totals();
    // The whole-item index is rewritten at the item's 2 units by each of 3 writes of 3 payments.
    expect(totals.hottestPartitions[0]).toEqual({ where: 'byOwner', key: 'MER#m#TXN', units: 18 });
    expect(unitsOn(meter, 'table', 'TXN#1')).toBe(6);
    expect(totals.writeUnits).toBe(18);
    expect(totals.indexWriteUnits).toBe(18);
    expect(totals.partitionKeysWritten).toBe(4);
    expect(totals.hottestByPlace).toEqual({
      byOwner: { where: 'byOwner', key: 'MER#m#TXN', units: 18 },
      table: { where: 'table', key: 'TXN#1', units: 6 },
    });
  });

  it('charges a keys-only index one unit when the item enters it, and nothing for updates that leave its key alone', () => {
    const meter = ledger();
    for (const [id, shard] of [['1', '00'], ['2', '01'], ['3', '00']] as const) {
      meter.record('PutItemCommand', { Item: { pk: `TXN#${id}`, sk: 'TXN', gsi3pk: `MER#m#TXN#${shard}`, gsi3sk: id } }, written(1));
      meter.record('UpdateItemCommand', setStatus(id, 'authorized'), written(1));
    }

    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#00')).toBe(2);
    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#01')).toBe(1);
    expect(meter.totals().indexWriteUnits).toBe(3);
    // Sharded and keys only, the busiest index partition takes no more than one transaction's own item.
    expect(meter.totals().hottestPartitions[0]?.units).toBe(2);
  });

  it('learns an index key from the value an update sets, and charges a key change on the old and the new partition', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN' } }, written(1));

    meter.record(
      'UpdateItemCommand',
      {
        Key: { pk: 'TXN#1', sk: 'TXN' },
        UpdateExpression: 'SET #p = :p, #s = :s',
        ExpressionAttributeNames: { '#p': 'gsi3pk', '#s': 'gsi3sk' },
        ExpressionAttributeValues: { ':p': 'MER#m#TXN#07', ':s': '1' },
      },
      written(1),
    );
    meter.record(
      'UpdateItemCommand',
      { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'SET gsi3pk = :p', ExpressionAttributeValues: { ':p': 'MER#m#TXN#08' } },
      written(1),
    );
    meter.record('UpdateItemCommand', { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'REMOVE gsi3pk' }, written(1));

    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#07')).toBe(2);
    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#08')).toBe(2);
    expect(meter.totals().indexWriteUnits).toBe(4);
  });

  it('charges nothing to a keys-only index when an update sets its key to the value it has, and keeps the old value under if_not_exists', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', gsi3pk: 'MER#m#TXN#00', gsi3sk: '1' } }, written(1));

    meter.record(
      'UpdateItemCommand',
      { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'SET gsi3pk = :same', ExpressionAttributeValues: { ':same': 'MER#m#TXN#00' } },
      written(1),
    );
    meter.record(
      'UpdateItemCommand',
      { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'SET gsi3pk = if_not_exists(gsi3pk, :other)', ExpressionAttributeValues: { ':other': 'MER#m#TXN#99' } },
      written(1),
    );

    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#00')).toBe(1);
    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#99')).toBeUndefined();
  });

  it('puts a key set to a value it cannot evaluate under one visible name, counted as a change', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', gsi3pk: 'MER#m#TXN#00', gsi3sk: '1' } }, written(1));

    meter.record(
      'UpdateItemCommand',
      { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'SET gsi3pk = list_append(:a, :b)', ExpressionAttributeValues: { ':a': [], ':b': [] } },
      written(1),
    );

    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#00')).toBe(2);
    expect(unitsOn(meter, 'byMerchant', UNRESOLVED_KEY)).toBe(1);
  });

  it('charges a small projection only when one of its attributes changes, on the partition the item is in', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', outbox_pending: 'y', outbox_at: 1 } }, written(2));

    meter.record('UpdateItemCommand', setStatus('1', 'authorized'), written(2));
    meter.record('UpdateItemCommand', { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'SET outbox_at = :now', ExpressionAttributeValues: { ':now': 2 } }, written(2));
    meter.record('UpdateItemCommand', { Key: { pk: 'TXN#1', sk: 'TXN' }, UpdateExpression: 'REMOVE #o', ExpressionAttributeNames: { '#o': 'outbox_pending' } }, written(2));

    // Put (enters), outbox_at (projected, changed), REMOVE (leaves): one unit each; the status change none.
    expect(unitsOn(meter, 'outbox', 'y')).toBe(3);
  });

  it('charges a failed conditional write one unit on its item\'s partition and no index', () => {
    const meter = ledger();
    const failure = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

    meter.record('PutItemCommand', { Item: { pk: 'IDEM#m#k', sk: 'IDEM', gsi1pk: 'MER#m#IDEM', gsi1sk: 'k' } }, { error: failure });

    const totals = meter.totals();
    expect(totals.failedConditionalWrites).toBe(1);
    expect(totals.hottestPartitions).toEqual([{ where: 'table', key: 'IDEM#m#k', units: 1 }]);
  });

  it('charges a delete on the partitions the item leaves', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', gsi1pk: 'MER#m#TXN', gsi1sk: '1', gsi3pk: 'MER#m#TXN#00', gsi3sk: '1' } }, written(3));

    meter.record('DeleteItemCommand', { Key: { pk: 'TXN#1', sk: 'TXN' } }, written(3));

    expect(unitsOn(meter, 'byOwner', 'MER#m#TXN')).toBe(6);
    expect(unitsOn(meter, 'byMerchant', 'MER#m#TXN#00')).toBe(2);
  });

  it('learns an item read whole, so that updating it later charges the indexes it is in', () => {
    const meter = ledger();
    meter.record('GetItemCommand', { Key: { pk: 'APIKEY#h', sk: 'APIKEY' } }, { output: { Item: { pk: 'APIKEY#h', sk: 'APIKEY', gsi1pk: 'MER#m#KEY', gsi1sk: 'k' } } });
    meter.record('UpdateItemCommand', { Key: { pk: 'APIKEY#h', sk: 'APIKEY' }, UpdateExpression: 'SET last_used = :t', ExpressionAttributeValues: { ':t': 1 } }, written(1));
    meter.record('UpdateItemCommand', { Key: { pk: 'CUS#c', sk: 'CUS' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } }, written(1));

    const totals = meter.totals();
    expect(unitsOn(meter, 'byOwner', 'MER#m#KEY')).toBe(1);
    expect(totals.readUnits).toBe(1);
    // The customer was never seen: its update is counted as such, since its index writes cannot be known.
    expect(totals.unseenItemUpdates).toBe(1);
  });

  it('starts the counts again from zero on reset, and still knows the items', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', gsi1pk: 'MER#m#TXN', gsi1sk: '1' } }, written(1));
    meter.reset();

    meter.record('UpdateItemCommand', setStatus('1', 'authorized'), written(1));

    const totals = meter.totals();
    expect(totals.requestsByOperation).toEqual({ UpdateItem: 1 });
    expect(unitsOn(meter, 'byOwner', 'MER#m#TXN')).toBe(1);
    expect(totals.writeUnits).toBe(1);
  });
});

describe('batch and transactional requests', () => {
  const bigNote = 'x'.repeat(1500);

  it('counts a BatchWriteItem as one request and charges each put its own size and index partition', () => {
    const meter = ledger();
    meter.record(
      'BatchWriteItemCommand',
      {
        RequestItems: {
          gateway: [
            { PutRequest: { Item: { pk: 'EVT#1', sk: 'EVT', gsi1pk: 'MER#m#EVT', gsi1sk: '1', note: bigNote } } },
            { PutRequest: { Item: { pk: 'EVT#2', sk: 'EVT', gsi1pk: 'MER#m#EVT', gsi1sk: '2' } } },
          ],
        },
      },
      written(3),
    );

    const totals = meter.totals();
    expect(totals.requestsByOperation).toEqual({ BatchWriteItem: 1 });
    expect(unitsOn(meter, 'table', 'EVT#1')).toBe(2);
    expect(unitsOn(meter, 'table', 'EVT#2')).toBe(1);
    expect(totals.hottestPartitions[0]).toEqual({ where: 'byOwner', key: 'MER#m#EVT', units: 3 });
  });

  it('shares what a batch reported beyond its puts among its deletes, and leaves out unprocessed items', () => {
    const meter = ledger();
    const unprocessed = { PutRequest: { Item: { pk: 'EVT#3', sk: 'EVT' } } };
    meter.record(
      'BatchWriteItemCommand',
      {
        RequestItems: {
          gateway: [{ PutRequest: { Item: { pk: 'EVT#1', sk: 'EVT' } } }, { DeleteRequest: { Key: { pk: 'OLD#1', sk: 'OLD' } } }, unprocessed],
        },
      },
      { output: { ConsumedCapacity: [{ TableName: 'gateway', CapacityUnits: 4 }], UnprocessedItems: { gateway: [unprocessed] } } },
    );

    expect(unitsOn(meter, 'table', 'EVT#1')).toBe(1);
    expect(unitsOn(meter, 'table', 'OLD#1')).toBe(3);
    expect(unitsOn(meter, 'table', 'EVT#3')).toBeUndefined();
    expect(meter.totals().writeUnits).toBe(4);
  });

  it('charges a transaction\'s table writes twice and its index writes once, and prices what it did not report', () => {
    const meter = ledger();
    meter.record('PutItemCommand', { Item: { pk: 'TXN#1', sk: 'TXN', gsi1pk: 'MER#m#TXN', gsi1sk: '1' } }, written(1));

    meter.record(
      'TransactWriteItemsCommand',
      {
        TransactItems: [
          { Update: { ...setStatus('1', 'authorized'), TableName: 'gateway' } },
          { Put: { TableName: 'gateway', Item: { pk: 'EVT#1', sk: 'EVT', gsi1pk: 'MER#m#EVT', gsi1sk: '1' } } },
          { ConditionCheck: { TableName: 'gateway', Key: { pk: 'MERCHANT#m', sk: 'MERCHANT' }, ConditionExpression: 'attribute_exists(pk)' } },
        ],
      },
      { output: {} },
    );

    const totals = meter.totals();
    expect(totals.requestsByOperation).toEqual({ PutItem: 1, TransactWriteItems: 1 });
    expect(unitsOn(meter, 'table', 'TXN#1')).toBe(1 + 2);
    expect(unitsOn(meter, 'table', 'EVT#1')).toBe(2);
    expect(unitsOn(meter, 'table', 'MERCHANT#m')).toBe(2);
    expect(unitsOn(meter, 'byOwner', 'MER#m#TXN')).toBe(1 + 1);
    expect(unitsOn(meter, 'byOwner', 'MER#m#EVT')).toBe(1);
    expect(totals.unreported).toBe(1);
  });

  it('charges a cancelled transaction one unit per item', () => {
    const meter = ledger();
    const cancelled = Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException' });

    meter.record(
      'TransactWriteItemsCommand',
      { TransactItems: [{ Put: { Item: { pk: 'TXN#1', sk: 'TXN' } } }, { Put: { Item: { pk: 'EVT#1', sk: 'EVT' } } }] },
      { error: cancelled },
    );

    expect(meter.totals().writeUnits).toBe(2);
    expect(meter.totals().failedConditionalWrites).toBe(1);
  });

  it('counts a BatchGetItem as one request with its read units, and learns the items it read whole', () => {
    const meter = ledger();
    meter.record(
      'BatchGetItemCommand',
      { RequestItems: { gateway: { Keys: [{ pk: 'WHE#1', sk: 'WHE' }] } } },
      { output: { ConsumedCapacity: [{ TableName: 'gateway', CapacityUnits: 1.5 }], Responses: { gateway: [{ pk: 'WHE#1', sk: 'WHE', gsi1pk: 'MER#m#WHE', gsi1sk: '1' }] } } },
    );
    meter.record('UpdateItemCommand', { Key: { pk: 'WHE#1', sk: 'WHE' }, UpdateExpression: 'SET failures = :f', ExpressionAttributeValues: { ':f': 1 } }, written(1));

    expect(meter.totals().requestsByOperation).toEqual({ BatchGetItem: 1, UpdateItem: 1 });
    expect(meter.totals().readUnits).toBe(1.5);
    expect(unitsOn(meter, 'byOwner', 'MER#m#WHE')).toBe(1);
  });
});

describe('update expressions', () => {
  it('reads SET, REMOVE, ADD and DELETE clauses with resolved names, and the values a SET gives', () => {
    const { set, remove, values } = assignedAttributes({
      UpdateExpression: 'SET #a = :a, b.c = list_append(b.c, :x), gsi1pk = if_not_exists(gsi1pk, :p) REMOVE outbox_pending, #d ADD n :one DELETE tags :t',
      ExpressionAttributeNames: { '#a': 'status', '#d': 'outbox_at' },
      ExpressionAttributeValues: { ':a': 'authorized', ':x': [], ':p': 'MER#1', ':one': 1, ':t': new Set(['a']) },
    });

    expect([...set].sort()).toEqual(['b', 'gsi1pk', 'n', 'status', 'tags']);
    expect([...remove].sort()).toEqual(['outbox_at', 'outbox_pending']);
    expect(values.get('status')).toEqual({ kind: 'value', value: 'authorized' });
    expect(values.get('gsi1pk')).toEqual({ kind: 'ifNotExists', value: 'MER#1' });
    expect(values.get('n')).toEqual({ kind: 'unresolved' });
  });

  it('does not take a placeholder named like a keyword for a clause', () => {
    const { set, remove } = assignedAttributes({
      UpdateExpression: 'SET #r = :remove',
      ExpressionAttributeNames: { '#r': 'reason' },
      ExpressionAttributeValues: { ':remove': 'x' },
    });

    expect([...set]).toEqual(['reason']);
    expect([...remove]).toEqual([]);
  });
});

describe('the meter on a document client', () => {
  /** A client whose requests never leave the process: the answer's ConsumedCapacity is what `units` says. */
  const stubbedClient = (units: (command: string) => number | undefined) => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', credentials: localCredentials, endpoint: 'http://127.0.0.1:9' }));
    client.middlewareStack.add(
      (_next, context) => async () => {
        const capacity = units(context.commandName ?? '');
        return { output: { $metadata: {}, ...(capacity === undefined ? {} : { ConsumedCapacity: [{ TableName: 'gateway', CapacityUnits: capacity }] }) }, response: {} };
      },
      { step: 'build', name: 'stubTransport' },
    );
    return client;
  };

  it('sees every command by its operation name, with the document client\'s plain attributes', async () => {
    const client = stubbedClient((command) => (command === 'BatchWriteItemCommand' ? 2 : command === 'TransactWriteItemsCommand' ? 4 : 1));
    const meter = attachCapacityMeter(client, new IndexMembership(['pk', 'sk'], INDEXES));

    await client.send(new PutCommand({ TableName: 'gateway', Item: { pk: 'TXN#1', sk: 'TXN', gsi3pk: 'MER#m#TXN#00', gsi3sk: '1' } }));
    await client.send(new UpdateCommand({ TableName: 'gateway', ...setStatus('1', 'authorized') }));
    await client.send(new GetCommand({ TableName: 'gateway', Key: { pk: 'TXN#1', sk: 'TXN' } }));
    await client.send(
      new BatchWriteCommand({
        RequestItems: {
          gateway: [
            { PutRequest: { Item: { pk: 'EVT#1', sk: 'EVT', gsi3pk: 'MER#m#TXN#00', gsi3sk: 'e1' } } },
            { PutRequest: { Item: { pk: 'EVT#2', sk: 'EVT', gsi3pk: 'MER#m#TXN#00', gsi3sk: 'e2' } } },
          ],
        },
      }),
    );
    await client.send(new BatchGetCommand({ RequestItems: { gateway: { Keys: [{ pk: 'EVT#1', sk: 'EVT' }] } } }));
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'gateway', Item: { pk: 'EVT#3', sk: 'EVT', gsi3pk: 'MER#m#TXN#00', gsi3sk: 'e3' } } },
          { Delete: { TableName: 'gateway', Key: { pk: 'EVT#1', sk: 'EVT' } } },
        ],
      }),
    );
    await client.send(new DeleteCommand({ TableName: 'gateway', Key: { pk: 'TXN#1', sk: 'TXN' } }));
    meter.detach();
    await client.send(new GetCommand({ TableName: 'gateway', Key: { pk: 'TXN#1', sk: 'TXN' } }));

    const totals = meter.totals();
    expect(totals.requestsByOperation).toEqual({ PutItem: 1, UpdateItem: 1, GetItem: 1, BatchWriteItem: 1, BatchGetItem: 1, TransactWriteItems: 1, DeleteItem: 1 });
    // Put, two batch puts, the transaction's put, the transaction's delete of EVT#1 and the delete of TXN#1.
    expect(totals.hottestPartitions[0]).toEqual({ where: 'byMerchant', key: 'MER#m#TXN#00', units: 6 });
    expect(totals.writeUnits).toBe(1 + 1 + 2 + 4 + 1);
    expect(totals.unreported).toBe(0);
  });
});

describe('item sizes against dynalite', () => {
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBDocumentClient;
  beforeAll(async () => {
    dynamo = await startDynamo();
    const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials });
    await raw.send(
      new CreateTableCommand({
        TableName: 'sizes',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    client = DynamoDBDocumentClient.from(raw);
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });

  // Besides its note, the item below takes 64 bytes: names, 3 + 1 for the keys, 3 for 1050, 1 for true,
  // 3 + 2 × 2 for the list, 3 + 2 + 11 + 7 for the map.
  it.each([
    ['of exactly 1 KB', 1024 - 64, 1],
    ['of 1 KB and a byte', 1024 - 64 + 1, 2],
    ['of about 3 KB', 3000, 3],
  ])('prices an item %s as dynalite does', async (_label, noteLength, units) => {
    const item = {
      pk: 'P#1',
      sk: 'S',
      note: 'n'.repeat(noteLength),
      amount: 1050,
      ok: true,
      tags: ['a', 'b'],
      nested: { currency: 'USD', minor: 2 },
    };

    const { ConsumedCapacity } = await client.send(new PutCommand({ TableName: 'sizes', Item: item, ReturnConsumedCapacity: 'TOTAL' }));

    expect(ConsumedCapacity?.CapacityUnits).toBe(units);
    expect(itemWriteUnits(item)).toBe(units);
  });

  it('shares a real batch\'s reported units so that its items add up to them', async () => {
    const meter = attachCapacityMeter(client, new IndexMembership(['pk', 'sk'], {}));
    await client.send(
      new BatchWriteCommand({
        RequestItems: {
          sizes: [
            { PutRequest: { Item: { pk: 'B#1', sk: 'S', note: 'n'.repeat(2500) } } },
            { PutRequest: { Item: { pk: 'B#2', sk: 'S' } } },
          ],
        },
      }),
    );
    meter.detach();

    const totals = meter.totals();
    expect(totals.writeUnits).toBe(4);
    expect(totals.hottestPartitions).toEqual([
      { where: 'table', key: 'B#1', units: 3 },
      { where: 'table', key: 'B#2', units: 1 },
    ]);
  });
});
