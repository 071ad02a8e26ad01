/**
 * The console function: the routes the hosted merchant console (pages/console.html) calls with a console
 * session token (`Authorization: Bearer cons_...`): the merchant's transactions newest first, and one
 * transaction's timeline of events with each webhook delivery's attempts. It reads; the only write is
 * ending its own session. Built from its ports (functions/wiring/console.ts gives the real ones), so a test
 * hands in fakes or a local table.
 */
import type { TimelineEvent } from '../contract/sessions.ts';
import { NotFoundError } from '../core/errors.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { defineRoute } from '../http/route.ts';
import type { Delivery, RecordedEvent } from '../webhooks/ports.ts';
import { activeSessionOf } from './active-session.ts';
import { endSession } from './end-session.ts';
import type { EventTimelines, Sessions, TransactionReader } from './ports.ts';
import { consoleRoutes } from './routes.ts';
import { toPageTransaction } from './views.ts';

export interface ConsoleDependencies extends ApiPipelineDependencies {
  readonly sessions: Pick<Sessions, 'getOwned' | 'end'>;
  readonly transactions: TransactionReader;
  readonly events: EventTimelines;
  /** Decides whether the session has expired. */
  readonly now: () => Date;
}

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

export function makeConsoleHandler({ sessions, transactions, events, now, ...pipeline }: ConsoleDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(consoleRoutes.listConsoleTransactions, async (request) => {
        const { merchantId } = await activeSessionOf(sessions, request, 'console_session', now());
        const page = await transactions.list({ merchantId, limit: request.query.limit });
        return { status: 200, body: page.transactions.map(toPageTransaction) };
      }),
      defineRoute(consoleRoutes.getConsoleTransaction, async (request) => {
        const { merchantId } = await activeSessionOf(sessions, request, 'console_session', now());
        const id = request.pathParameters.transaction_id ?? '';
        const transaction = await transactions.getOwned(merchantId, id);
        if (transaction === undefined) throw new NotFoundError('transaction', id, 'transaction_id');
        const timeline = await events.timelineOf(merchantId, transaction.id, transaction.createdAt);
        return {
          status: 200,
          body: { transaction: toPageTransaction(transaction), timeline: timeline.events.map(toTimelineEvent), timeline_complete: timeline.complete },
        };
      }),
      defineRoute(consoleRoutes.endOwnConsoleSession, async (request) => ({
        status: 200,
        body: await endSession(sessions, await activeSessionOf(sessions, request, 'console_session', now())),
      })),
    ],
    pipeline,
  );
}
