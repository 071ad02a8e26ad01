/** The transactions function: reads only, so its repository's outbox is never written through and reaches no queue. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeTransactionsHandler } from '../payments/handler.ts';
import { apiPipeline } from './api-pipeline.ts';

const tableName = tableNameFromEnv();

export const handler = makeTransactionsHandler({
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, new OutboxStore(dynamoDocumentClient, tableName, noQueues)),
  ...apiPipeline,
});
