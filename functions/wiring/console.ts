/**
 * The console function: the routes the hosted merchant console (pages/console.html) calls with a console
 * session token (`Authorization: Bearer cons_...`): the merchant's transactions newest first, and one
 * transaction's timeline of events with each webhook delivery's attempts. It reads; the only write is
 * ending its own session.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { EventRepository, type RecordedEvent } from '../adapters/event-repository.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { NotFoundError } from '../core/errors.ts';
import { type TimelineEvent } from '../contract/sessions.ts';
import { activeSessionOf } from '../hosted/active-session.ts';
import { toPageTransaction } from '../hosted/views.ts';
import { consoleRoutes } from '../hosted/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute } from '../http/route.ts';
import type { Delivery } from '../webhooks/delivery-store.ts';

const tableName = tableNameFromEnv();
// This function sends nothing: an outbox without queues, needed only to build the read-side repositories.
const outbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const events = new EventRepository(dynamoDocumentClient, tableName);
const sessions = new SessionStore(dynamoDocumentClient, tableName);

function toDeliverySummary(delivery: Delivery): TimelineEvent['deliveries'][number] {
  return {
    endpoint_id: delivery.endpointId,
    status: delivery.status,
    attempts: delivery.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      at: attempt.at,
      status_code: attempt.statusCode ?? null,
      error: attempt.error ?? null,
    })),
  };
}

function toTimelineEvent({ event, deliveries }: RecordedEvent): TimelineEvent {
  const status = event.data.status;
  return {
    event_id: event.id,
    type: event.type,
    created: event.created,
    status: typeof status === 'string' ? status : null,
    deliveries: deliveries.map(toDeliverySummary),
  };
}

export const handler = createApiHandler([
  defineRoute(consoleRoutes.listConsoleTransactions, async (request) => {
    const { merchantId } = await activeSessionOf(sessions, request, 'console_session');
    const page = await transactions.list({ merchantId, limit: request.query.limit });
    return { status: 200, body: page.transactions.map(toPageTransaction) };
  }),
  defineRoute(consoleRoutes.getConsoleTransaction, async (request) => {
    const { merchantId } = await activeSessionOf(sessions, request, 'console_session');
    const id = request.pathParameters.transaction_id ?? '';
    const transaction = await transactions.getOwned(merchantId, id);
    if (transaction === undefined) throw new NotFoundError('transaction', id, 'transaction_id');
    const timeline = await events.timelineOf(merchantId, transaction.id, transaction.createdAt);
    return { status: 200, body: { transaction: toPageTransaction(transaction), timeline: timeline.events.map(toTimelineEvent), timeline_complete: timeline.complete } };
  }),
  defineRoute(consoleRoutes.endOwnConsoleSession, async (request) => {
    const session = await activeSessionOf(sessions, request, 'console_session');
    const ended = await sessions.end(session.merchantId, 'console', session.id);
    return { status: 200, body: { id: ended.id, ended: true, ended_at: ended.endedAt } };
  }),
], apiPipeline);
