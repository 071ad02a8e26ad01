/** GET /events and GET /events/{id}: what happened to the caller's resources, newest first. */
import { dynamoDocumentClient } from '../adapters/aws.ts';
import { EventRepository, toPublicEvent } from '../adapters/event-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { NotFoundError } from '../core/errors.ts';
import { listEventsQuery } from '../contract/events.ts';
import { createApiHandler } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';

const events = new EventRepository(dynamoDocumentClient, tableNameFromEnv());

export const handler = createApiHandler([
  defineRoute({
    method: 'GET',
    path: '/events',
    query: listEventsQuery,
    handle: async (request) => {
      const { merchantId } = merchantOf(request);
      const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId });
      const page = await events.list({
        merchantId,
        limit: request.query.limit,
        ...(request.query.type === undefined ? {} : { type: request.query.type }),
        ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
      });
      return pageResult(request.location, {
        items: page.events.map(toPublicEvent),
        nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, after: page.lastId },
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/events/{id}',
    handle: async (request) => {
      const id = request.pathParameters.id ?? '';
      const event = await events.getOwned(merchantOf(request).merchantId, id);
      if (event === undefined) throw new NotFoundError('event', id, 'id');
      return { status: 200, body: toPublicEvent(event) };
    },
  }),
]);
