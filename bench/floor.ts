/**
 * The floor to compare the API with: a route that does one DynamoDB PutItem and nothing else, served by
 * the local runtime through the same HTTP server and invoke path as the gateway's routes (registered as
 * an `extraRoutes` entry, never in lib/topology.ts, so it is never deployed).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { env } from '../lib/topology.ts';
import type { ExtraRoute } from '../lib/local/runtime.ts';

export const FLOOR_PATH = '/bench/put-item';

/**
 * The functions' own client (functions/adapters/dynamodb-client.ts), imported on first use: the runtime sets the
 * stand-ins' endpoints in the environment before it loads the functions, and the client must see them.
 */
async function sharedClient() {
  const { dynamoDocumentClient } = await import('../functions/adapters/dynamodb-client.ts');
  return dynamoDocumentClient;
}

async function putOneItem(): Promise<APIGatewayProxyResult> {
  const client = await sharedClient();
  await client.send(
    new PutCommand({
      TableName: process.env[env.tableName],
      Item: { pk: `BENCH#${randomUUID()}`, sk: 'FLOOR', created_at: new Date().toISOString() },
    }),
  );
  return { statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: '{}' };
}

export const floorRoute: ExtraRoute = {
  method: 'POST',
  path: FLOOR_PATH,
  auth: 'none',
  function: 'extra:benchPutItem',
  handler: putOneItem,
};
