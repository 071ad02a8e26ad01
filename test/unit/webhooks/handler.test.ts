import { describe, expect, it } from 'vitest';
import type { SecretBox, WebhookEndpoint, WebhookEndpoints } from '../../../functions/webhooks/ports.ts';
import { makeWebhookEndpointsHandler } from '../../../functions/webhooks/handler.ts';
import type { Resolver } from '../../../functions/webhooks/url-policy.ts';
import { apiEvent, jsonOf, lambdaContext, merchant } from '../http/api-event.ts';
import { memoryPipeline } from '../http/memory-idempotency.ts';

const now = new Date('2030-01-01T00:00:00.000Z');

/** Endpoints in memory; another merchant's are not found and cannot be deleted, as in the table. */
class MemoryEndpoints implements Pick<WebhookEndpoints, 'create' | 'getOwned' | 'list' | 'delete'> {
  readonly stored = new Map<string, WebhookEndpoint>();

  async create(endpoint: WebhookEndpoint): Promise<void> {
    this.stored.set(endpoint.endpointId, endpoint);
  }

  async getOwned(merchantId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
    const endpoint = this.stored.get(endpointId);
    return endpoint?.merchantId === merchantId ? endpoint : undefined;
  }

  async list({ merchantId }: { merchantId: string }) {
    return { endpoints: [...this.stored.values()].filter((endpoint) => endpoint.merchantId === merchantId), lastId: undefined };
  }

  async delete(merchantId: string, endpointId: string): Promise<boolean> {
    if ((await this.getOwned(merchantId, endpointId)) === undefined) return false;
    return this.stored.delete(endpointId);
  }
}

const secrets: Pick<SecretBox, 'seal'> = { seal: async (secret, owner) => `sealed(${owner.endpointId}):${secret}` };
/** hooks.example.com is public; internal.example.com resolves into the private network. */
const resolver: Resolver = async (hostname) => [{ address: hostname === 'internal.example.com' ? '10.0.0.7' : '93.184.216.34', family: 4 }];

function build() {
  const endpoints = new MemoryEndpoints();
  const handler = makeWebhookEndpointsHandler({ endpoints, secrets, policy: 'public-https', resolver, now: () => now, ...memoryPipeline() });
  return { handler, endpoints };
}

const create = (url: string) =>
  apiEvent('POST', '/webhook_endpoints', { caller: merchant, body: JSON.stringify({ url, events: ['payment.captured', 'payment.captured'] }) });

describe('the webhook endpoints function', () => {
  it('registers an endpoint: the secret is answered once and stored only sealed, the event types once each', async () => {
    const { handler, endpoints } = build();

    const response = await handler(create('https://hooks.example.com/gateway'), lambdaContext);

    expect(response.statusCode).toBe(201);
    const body = jsonOf(response);
    expect(body).toMatchObject({ url: 'https://hooks.example.com/gateway', events: ['payment.captured'], status: 'enabled', created: now.toISOString() });
    expect(String(body.secret)).toMatch(/^whsec_/);
    expect(endpoints.stored.get(String(body.id))?.sealedSecret).toBe(`sealed(${String(body.id)}):${String(body.secret)}`);
    const listed = await handler(apiEvent('GET', '/webhook_endpoints', { caller: merchant }), lambdaContext);
    expect(listed.body).not.toContain(String(body.secret));
  });

  it('refuses a URL whose host resolves into the private network, and stores nothing', async () => {
    const { handler, endpoints } = build();

    const response = await handler(create('https://internal.example.com/hook'), lambdaContext);

    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toMatchObject({ code: 'url_not_allowed', param: 'url' });
    expect(endpoints.stored.size).toBe(0);
  });

  it("answers 404 to a delete of another merchant's endpoint, and keeps it", async () => {
    const { handler, endpoints } = build();
    const id = String(jsonOf(await handler(create('https://hooks.example.com/gateway'), lambdaContext)).id);
    const otherMerchant = { ...merchant, merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0Z' };

    const response = await handler(
      apiEvent('DELETE', '/webhook_endpoints/{id}', { caller: otherMerchant, path: `/webhook_endpoints/${id}`, pathParameters: { id } }),
      lambdaContext,
    );

    expect(response.statusCode).toBe(404);
    expect(endpoints.stored.has(id)).toBe(true);
  });
});
