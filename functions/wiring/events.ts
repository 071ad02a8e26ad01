/** The events function: its events are read from the table, redeliveries go to the webhook fan-out queue. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { EventRepository } from '../adapters/event-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeEventsHandler } from '../events/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { queueSenderOf } from './queues.ts';

export const handler = makeEventsHandler({
  events: new EventRepository(dynamoDocumentClient, tableNameFromEnv()),
  queue: queueSenderOf('events'),
  ...apiPipeline,
});
