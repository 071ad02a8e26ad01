/**
 * Requests and responses of the webhook endpoint routes, and the delivery record shown on an event. They
 * validate requests in the handlers and are the source of the schemas in openapi.yaml.
 */
import * as z from 'zod';
import { customerEventTypes } from '../core/customer.ts';
import { orderEventTypes } from '../core/order.ts';
import { paymentEventTypes } from '../core/transaction.ts';
import { paginationQueryShape, timestamp } from './common.ts';

/** The event types a merchant can subscribe to (the contract's list); `*` is every type. */
export const webhookEventTypes = [...paymentEventTypes, ...customerEventTypes, ...orderEventTypes] as const;

export const createWebhookEndpointBody = z
  .strictObject({
    url: z.string().max(2048).meta({
      description: 'Where to POST events: `https` to a public address (loopback `http` is allowed on the local runtime only).',
      examples: ['https://example.com/webhooks/payments'],
    }),
    events: z
      .array(z.enum([...webhookEventTypes, '*']))
      .min(1)
      .max(webhookEventTypes.length + 1)
      .meta({ description: 'Event types to receive; `*` is every type.', examples: [['payment.captured', 'payment.refunded']] }),
  })
  .meta({ id: 'CreateWebhookEndpointRequest' });

export type CreateWebhookEndpointBody = z.infer<typeof createWebhookEndpointBody>;

export const listWebhookEndpointsQuery = z.strictObject({ ...paginationQueryShape }).meta({ id: 'ListWebhookEndpointsQuery' });

export const webhookEndpointSchema = z
  .strictObject({
    id: z.string().meta({ examples: ['we_01JD2Z8Q7F3X4Y5Z6A7B8C9D0K'] }),
    url: z.string(),
    events: z.array(z.string()).readonly(),
    status: z.enum(['enabled', 'disabled']).meta({ description: '`disabled` after the endpoint answered 410 Gone.' }),
    disabled_reason: z.string().nullable(),
    created: timestamp,
  })
  .meta({ id: 'WebhookEndpoint', description: 'A URL that receives signed events. Never shows its secret.' });

export type WebhookEndpointResponse = z.output<typeof webhookEndpointSchema>;

export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({
    secret: z.string().meta({
      description: 'The signing secret, `whsec_...`, for the `standardwebhooks` package. Shown this once.',
    }),
  })
  .meta({ id: 'WebhookEndpointCreated', description: 'The new endpoint with its signing secret.' });

export type CreatedWebhookEndpointResponse = z.output<typeof createdWebhookEndpointSchema>;

export const deletedWebhookEndpointSchema = z
  .strictObject({ id: z.string(), deleted: z.literal(true) })
  .meta({ id: 'DeletedWebhookEndpoint', description: 'The endpoint is gone; its pending deliveries stop.' });

export const deliveryAttemptSchema = z
  .strictObject({
    attempt: z.number().int().min(1),
    at: timestamp,
    status_code: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null for a timeout or a refused connection." }),
    latency_ms: z.number().int().min(0),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

export const deliverySchema = z
  .strictObject({
    endpoint_id: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']).meta({
      description: '`failed` after the last attempt (the delivery is then in the dead-letter queue) or a 410 Gone.',
    }),
    failure_reason: z.enum(['retries_exhausted', 'endpoint_gone', 'endpoint_deleted', 'endpoint_disabled']).nullable(),
    next_attempt_at: timestamp.nullable().meta({ description: 'When the next attempt is due, while `pending`.' }),
    attempts: z.array(deliveryAttemptSchema).readonly(),
  })
  .meta({ id: 'WebhookDelivery', description: 'The event on its way to one endpoint, with every attempt.' });

export type DeliveryResponse = z.output<typeof deliverySchema>;

export const redeliverResponse = z
  .strictObject({ event_id: z.string(), status: z.literal('scheduled') })
  .meta({ id: 'RedeliveryScheduled', description: "The event goes again to every endpoint subscribed to its type whose delivery has finished." });
