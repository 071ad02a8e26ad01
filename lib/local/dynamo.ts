/**
 * The embedded DynamoDB: dynalite on loopback, persisted under a folder (or in memory without one),
 * with the gateway's table created from the topology. The adapters talk to it with the real SDK.
 *
 * dynalite has no TransactWriteItems, no Streams and no TTL; the gateway's write path is built on
 * single-item conditional writes and treats expired items as absent, so it needs none of them.
 */
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type AttributeDefinition,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import { projectionOf, table, type IndexSpec } from '../topology.ts';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  /** Requests received so far, by operation (`GetItem`, `PutItem`, ...), failed ones included; for the benchmark. */
  requestCounts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startDynamo(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedDynamo> {
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const counts: Record<string, number> = {};
  server.on('request', (request: IncomingMessage) => {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? (target.split('.')[1] ?? target) : 'unknown';
    counts[operation] = (counts[operation] ?? 0) + 1;
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestCounts: () => ({ ...counts }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Creates the gateway's table as the topology describes it, unless it exists already. A table kept under
 * `DATA_DIR` by an older version whose indexes differ is refused with what to do, never used half-working.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: localCredentials });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    client.destroy();
    const existing = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    const wanted = Object.keys(table.indexes).sort();
    if (existing.join() !== wanted.join()) {
      throw new Error(
        `The table ${tableName} under DATA_DIR has the indexes [${existing.join(', ')}] of an older version; ` +
          `this one needs [${wanted.join(', ')}]. Start with an empty DATA_DIR (or delete its dynamodb folder).`,
      );
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const indexes = Object.entries<IndexSpec>(table.indexes);
  const keyNames = new Set<string>([table.partitionKey, table.sortKey]);
  for (const [, index] of indexes) {
    keyNames.add(index.partitionKey);
    keyNames.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyNames].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions,
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map(([name, index]) => ({
        IndexName: name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: wireProjection(projectionOf(index)),
      })),
    }),
  );
  client.destroy();
}

/** The stand-ins accept any credentials; the SDK still wants some to sign with. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function wireProjection(projection: ReturnType<typeof projectionOf>): Projection {
  return projection.type === 'INCLUDE'
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.attributes] }
    : { ProjectionType: projection.type };
}
