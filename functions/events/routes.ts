/** What happened to the caller's resources, newest first; an event sent again to its webhooks. */
import * as z from 'zod';
import { listEventsQuery } from '../contract/events.ts';
import { eventSchema } from '../contract/responses.ts';
import { redeliverResponse } from '../contract/webhooks.ts';
import { declareRoutes, notFound } from '../http/route-declaration.ts';

const eventsTag = { name: 'Events', description: "What happened to the caller's resources, newest first." };
const eventIdParameter = { id: 'The event, `evt_...`.' };

export const eventRoutes = declareRoutes({
  listEvents: {
    method: 'GET',
    path: '/events',
    function: 'events',
    auth: 'merchant',
    summary: "List the caller's events, newest first",
    tag: eventsTag,
    query: listEventsQuery,
    success: { status: 200, description: 'One page of events, newest first.', schema: z.array(eventSchema), paginated: true },
  },
  getEvent: {
    method: 'GET',
    path: '/events/{id}',
    function: 'events',
    auth: 'merchant',
    summary: 'Read one event',
    tag: eventsTag,
    pathParameters: eventIdParameter,
    success: { status: 200, description: 'The event.', schema: eventSchema },
    errors: [notFound('event', 'id')],
  },
  redeliverEvent: {
    method: 'POST',
    path: '/events/{id}/redeliver',
    function: 'events',
    auth: 'merchant',
    summary: 'Send an event again to its webhook endpoints',
    description:
      'Every enabled endpoint subscribed to the event type whose delivery has finished (succeeded or failed) gets a ' +
      'new round of attempts, with the same `webhook-id`; endpoints subscribed since get their first delivery.',
    tag: eventsTag,
    pathParameters: eventIdParameter,
    success: { status: 200, description: 'The redelivery is queued.', schema: redeliverResponse },
    errors: [notFound('event', 'id')],
  },
});
