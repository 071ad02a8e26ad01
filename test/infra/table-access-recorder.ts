/**
 * Records which table items each function really touches: every DynamoDB call the functions make through
 * their shared client, tagged with the function that made it (an AsyncLocalStorage around each invocation),
 * reduced to the operation, the table or index, and the partition key values it names (what IAM's
 * `dynamodb:LeadingKeys` is about).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { LambdaHandler } from '../../lib/local/lambda.ts';
import { functionNames, functions, table, type FunctionName } from '../../lib/topology.ts';

export interface TableCall {
  readonly fn: FunctionName;
  /** The IAM action, e.g. `dynamodb:GetItem`. */
  readonly action: string;
  /** `table`, or the index the call reads. */
  readonly target: string;
  /** Partition key values the call names (of the index, for an index query). */
  readonly partitions: readonly string[];
}

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const invoking = new AsyncLocalStorage<FunctionName>();

const actionOf: Record<string, string> = {
  GetCommand: 'GetItem',
  GetItemCommand: 'GetItem',
  PutCommand: 'PutItem',
  PutItemCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  UpdateItemCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  DeleteItemCommand: 'DeleteItem',
  QueryCommand: 'Query',
  BatchGetCommand: 'BatchGetItem',
  BatchGetItemCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  BatchWriteItemCommand: 'BatchWriteItem',
  DescribeTableCommand: 'DescribeTable',
  ScanCommand: 'Scan',
  TransactWriteCommand: 'TransactWriteItems',
  TransactWriteItemsCommand: 'TransactWriteItems',
  TransactGetCommand: 'TransactGetItems',
  TransactGetItemsCommand: 'TransactGetItems',
};

/** A string attribute, marshalled (`{S}`) or not. */
function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
  return undefined;
}

type Input = Record<string, unknown>;

function partitionsOf(action: string, input: Input): { target: string; partitions: string[] } {
  const pk = table.partitionKey;
  const itemPk = (item: unknown): string[] => {
    const value = stringOf((item as Record<string, unknown> | undefined)?.[pk]);
    return value === undefined ? [] : [value];
  };
  switch (action) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return { target: 'table', partitions: itemPk(input.Key) };
    case 'PutItem':
      return { target: 'table', partitions: itemPk(input.Item) };
    case 'BatchGetItem': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>);
      return { target: 'table', partitions: requests.flatMap((request) => (request.Keys ?? []).flatMap(itemPk)) };
    }
    case 'BatchWriteItem': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }[]>);
      return {
        target: 'table',
        partitions: requests.flat().flatMap((request) => [...itemPk(request.PutRequest?.Item), ...itemPk(request.DeleteRequest?.Key)]),
      };
    }
    case 'Query': {
      const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
      const partitionKey = index === undefined ? pk : (table.indexes as Record<string, { partitionKey: string }>)[index]?.partitionKey;
      const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
      const partitions: string[] = [];
      for (const [, name, placeholder] of String(input.KeyConditionExpression ?? '').matchAll(/(#?[\w]+)\s*=\s*(:[\w]+)/g)) {
        if ((names[name ?? ''] ?? name) !== partitionKey) continue;
        const value = stringOf(values[placeholder ?? '']);
        if (value !== undefined) partitions.push(value);
      }
      return { target: index ?? 'table', partitions };
    }
    default:
      return { target: 'table', partitions: [] };
  }
}

/**
 * Handlers for every function that import the real one on first use (after the runtime has set the environment)
 * and run it inside the recorder's context; and the calls recorded so far.
 */
export interface Recorder {
  readonly handlers: Record<FunctionName, LambdaHandler>;
  readonly calls: TableCall[];
  /**
   * Makes the next call `matching` fail as DynamoDB's being unreachable would, once: e.g. the write that clears
   * an outbox, so that the outbox relay has something to publish.
   */
  failOnce(matching: (call: TableCall, input: Readonly<Record<string, unknown>>) => boolean): void;
}

export function recordingHandlers(): Recorder {
  const calls: TableCall[] = [];
  let failing: ((call: TableCall, input: Readonly<Record<string, unknown>>) => boolean) | undefined;
  let installed: Promise<void> | undefined;
  const install = (): Promise<void> =>
    (installed ??= (async () => {
      const { dynamoDocumentClient } = await import('../../functions/adapters/dynamodb-client.ts');
      dynamoDocumentClient.middlewareStack.add(
        (next, context) => async (args) => {
          const fn = invoking.getStore();
          const action = actionOf[context.commandName ?? ''] ?? String(context.commandName);
          if (fn !== undefined) {
            const call: TableCall = { fn, action: `dynamodb:${action}`, ...partitionsOf(action, args.input as Input) };
            calls.push(call);
            if (failing?.(call, args.input as Input) === true) {
              failing = undefined;
              throw new Error('injected: the table did not answer');
            }
          }
          return next(args);
        },
        { step: 'initialize', name: 'recordTableAccess', priority: 'high' },
      );
    })());
  const handlers = Object.fromEntries(
    functionNames.map((name): [FunctionName, LambdaHandler] => {
      let loaded: Promise<(event: unknown, context: Context) => unknown> | undefined;
      const handler = async (event: unknown, context: Context): Promise<unknown> => {
        await install();
        loaded ??= import(pathToFileURL(join(repositoryRoot, functions[name].entry)).href).then(
          (module: { handler: (event: unknown, context: Context) => unknown }) => module.handler,
        );
        const real = await loaded;
        return invoking.run(name, () => real(event, context));
      };
      return [name, handler as LambdaHandler];
    }),
  ) as Record<FunctionName, LambdaHandler>;
  return {
    handlers,
    calls,
    failOnce: (matching) => {
      failing = matching;
    },
  };
}
