import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';

export interface TestTable {
  readonly dynamo: EmbeddedDynamo;
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  close(): Promise<void>;
}

/** An in-memory dynalite with the gateway's table, and a document client for it. */
export async function startTestTable(tableName = 'gateway-test'): Promise<TestTable> {
  const dynamo = await startDynamo();
  await ensureTable(dynamo.endpoint, tableName);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return {
    dynamo,
    db,
    tableName,
    close: async () => {
      db.destroy();
      await dynamo.close();
    },
  };
}
