import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';
import { table } from '../../lib/topology.ts';

describe('embedded DynamoDB', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await startDynamo();
  });
  afterAll(() => dynamo.close());

  it('creates the table with every index the topology names, once', async () => {
    await ensureTable(dynamo.endpoint, 'gateway');
    await ensureTable(dynamo.endpoint, 'gateway');

    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'gateway' }));
    const indexNames = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    expect(indexNames).toEqual(Object.keys(table.indexes).sort());
    client.destroy();
  });
});
