/**
 * Webhook endpoints: a merchant registers a URL and the event types it wants, and gets the signing secret
 * once. The URL is checked against the SSRF policy here and again at every delivery. Built from its ports
 * (functions/wiring/webhooks.ts gives the real ones), so a test hands in fakes.
 */
import type { CreatedWebhookEndpointResponse, WebhookEndpointResponse } from '../contract/webhooks.ts';
import { InvalidRequestError, NotFoundError } from '../core/errors.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import type { SecretBox, WebhookEndpoint, WebhookEndpoints } from './ports.ts';
import { webhookEndpointRoutes } from './routes.ts';
import { generateSigningSecret } from './signing.ts';
import { TargetRefusedError, vetTarget, type Resolver, type UrlPolicy } from './url-policy.ts';

export interface WebhookEndpointsDependencies extends ApiPipelineDependencies {
  readonly endpoints: Pick<WebhookEndpoints, 'create' | 'getOwned' | 'list' | 'delete'>;
  readonly secrets: Pick<SecretBox, 'seal'>;
  /** Which URLs an endpoint may have, and how their names resolve for the check. */
  readonly policy: UrlPolicy;
  readonly resolver: Resolver;
  readonly now: () => Date;
}

function toPublicEndpoint(endpoint: WebhookEndpoint): WebhookEndpointResponse {
  return {
    id: endpoint.endpointId,
    url: endpoint.url,
    events: endpoint.events,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason ?? null,
    created: endpoint.created,
  };
}

export function makeWebhookEndpointsHandler({ endpoints, secrets, policy, resolver, now, ...pipeline }: WebhookEndpointsDependencies): ApiHandler {
  async function requireAllowedUrl(url: string): Promise<void> {
    try {
      await vetTarget(url, policy, resolver);
    } catch (error) {
      if (error instanceof TargetRefusedError) throw new InvalidRequestError('url_not_allowed', error.message, { param: 'url' });
      throw error;
    }
  }

  return createApiHandler(
    [
      defineRoute(webhookEndpointRoutes.createWebhookEndpoint, async (request) => {
        const { merchantId } = merchantOf(request);
        await requireAllowedUrl(request.body.url);
        const endpointId = request.newId('webhookEndpoint');
        const secret = generateSigningSecret();
        const endpoint: WebhookEndpoint = {
          endpointId,
          merchantId,
          url: request.body.url,
          events: [...new Set(request.body.events)],
          status: 'enabled',
          disabledReason: undefined,
          sealedSecret: await secrets.seal(secret, { merchantId, endpointId }),
          created: now().toISOString(),
        };
        await endpoints.create(endpoint);
        const body: CreatedWebhookEndpointResponse = { ...toPublicEndpoint(endpoint), secret };
        return { status: 201, body };
      }),
      defineRoute(webhookEndpointRoutes.listWebhookEndpoints, async (request) => {
        const { merchantId } = merchantOf(request);
        const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId });
        const page = await endpoints.list({
          merchantId,
          limit: request.query.limit,
          ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
        });
        return pageResult(request.location, {
          items: page.endpoints.map(toPublicEndpoint),
          nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, after: page.lastId },
        });
      }),
      defineRoute(webhookEndpointRoutes.getWebhookEndpoint, async (request) => {
        const id = request.pathParameters.id ?? '';
        const endpoint = await endpoints.getOwned(merchantOf(request).merchantId, id);
        if (endpoint === undefined) throw new NotFoundError('webhook endpoint', id, 'id');
        return { status: 200, body: toPublicEndpoint(endpoint) };
      }),
      defineRoute(webhookEndpointRoutes.deleteWebhookEndpoint, async (request) => {
        const id = request.pathParameters.id ?? '';
        const deleted = await endpoints.delete(merchantOf(request).merchantId, id);
        if (!deleted) throw new NotFoundError('webhook endpoint', id, 'id');
        return { status: 200, body: { id, deleted: true } };
      }),
    ],
    pipeline,
  );
}
