/** Webhook endpoints: URLs that receive signed events (Standard Webhooks), retried on a schedule. */
import * as z from 'zod';
import {
  createdWebhookEndpointSchema,
  createWebhookEndpointBody,
  deletedWebhookEndpointSchema,
  listWebhookEndpointsQuery,
  webhookEndpointSchema,
} from '../contract/webhooks.ts';
import { declareRoutes, notFound } from '../http/route-declaration.ts';

const webhooksTag = { name: 'Webhooks', description: 'URLs that receive signed events (Standard Webhooks), retried on a schedule.' };
const endpointIdParameter = { id: 'The endpoint, `we_...`.' };

export const webhookEndpointRoutes = declareRoutes({
  createWebhookEndpoint: {
    method: 'POST',
    path: '/webhook_endpoints',
    function: 'webhooks',
    auth: 'merchant',
    summary: 'Register a URL for signed events',
    description:
      'The signing secret (`whsec_...`) is in this response only. Deliveries are signed per Standard Webhooks: ' +
      '`webhook-id` (the event id, the same on every retry), `webhook-timestamp`, `webhook-signature`.',
    tag: webhooksTag,
    body: createWebhookEndpointBody,
    success: { status: 201, description: 'The endpoint, with its signing secret.', schema: createdWebhookEndpointSchema },
    errors: [
      {
        status: 400,
        code: 'url_not_allowed',
        when: 'The URL is not `https`, or its host resolves to a private, loopback, link-local, CGNAT, multicast or reserved address.',
      },
    ],
  },
  listWebhookEndpoints: {
    method: 'GET',
    path: '/webhook_endpoints',
    function: 'webhooks',
    auth: 'merchant',
    summary: "List the caller's webhook endpoints, newest first",
    tag: webhooksTag,
    query: listWebhookEndpointsQuery,
    success: {
      status: 200,
      description: 'One page of endpoints, newest first.',
      schema: z.array(webhookEndpointSchema),
      paginated: true,
    },
  },
  getWebhookEndpoint: {
    method: 'GET',
    path: '/webhook_endpoints/{id}',
    function: 'webhooks',
    auth: 'merchant',
    summary: 'Read one webhook endpoint',
    tag: webhooksTag,
    pathParameters: endpointIdParameter,
    success: { status: 200, description: 'The endpoint, without its secret.', schema: webhookEndpointSchema },
    errors: [notFound('webhook endpoint', 'id')],
  },
  deleteWebhookEndpoint: {
    method: 'DELETE',
    path: '/webhook_endpoints/{id}',
    function: 'webhooks',
    auth: 'merchant',
    summary: 'Delete a webhook endpoint',
    description: 'Its pending deliveries stop at their next attempt.',
    tag: webhooksTag,
    pathParameters: endpointIdParameter,
    success: { status: 200, description: 'The endpoint is deleted.', schema: deletedWebhookEndpointSchema },
    errors: [notFound('webhook endpoint', 'id')],
  },
});
