/** The console function: it reads transactions, events and its session from the table, and sends nothing. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeConsoleHandler } from '../hosted/console-handler.ts';
import { apiPipeline } from './api-pipeline.ts';

const tableName = tableNameFromEnv();
// An outbox without queues, needed only to build the read-side transaction repository.
const readOnlyOutbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);

export const handler = makeConsoleHandler({
  sessions: new SessionStore(dynamoDocumentClient, tableName),
  transactions: new TransactionRepository(dynamoDocumentClient, tableName, readOnlyOutbox),
  events: new EventRepository(dynamoDocumentClient, tableName),
  now: () => new Date(),
  ...apiPipeline,
});
