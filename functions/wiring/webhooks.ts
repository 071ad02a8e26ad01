/**
 * Webhook endpoints: a merchant registers a URL and the event types it wants, and gets the signing secret
 * once. The URL is checked against the SSRF policy here and again at every delivery.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { tableNameFromEnv } from '../config.ts';
import {
  type CreatedWebhookEndpointResponse,
  type WebhookEndpointResponse,
} from '../contract/webhooks.ts';
import { InvalidRequestError, NotFoundError } from '../core/errors.ts';
import { webhookEndpointRoutes } from '../webhooks/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';
import { WebhookEndpointStore, type WebhookEndpoint } from '../webhooks/endpoint-store.ts';
import { KmsSecretBox, secretKeyIdFromEnv, type SecretBox } from '../webhooks/secret-box.ts';
import { generateSigningSecret } from '../webhooks/signing.ts';
import { systemResolver, TargetRefusedError, urlPolicyFromEnv, vetTarget, type Resolver, type UrlPolicy } from '../webhooks/url-policy.ts';

export interface WebhookRoutesDependencies {
  readonly endpoints: Pick<WebhookEndpointStore, 'create' | 'getOwned' | 'list' | 'delete'>;
  readonly secrets: Pick<SecretBox, 'seal'>;
  readonly policy: UrlPolicy;
  readonly resolver: Resolver;
  readonly now?: () => Date;
}

export function toPublicEndpoint(endpoint: WebhookEndpoint): WebhookEndpointResponse {
  return {
    id: endpoint.endpointId,
    url: endpoint.url,
    events: endpoint.events,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason ?? null,
    created: endpoint.created,
  };
}

async function requireAllowedUrl(url: string, dependencies: WebhookRoutesDependencies): Promise<void> {
  try {
    await vetTarget(url, dependencies.policy, dependencies.resolver);
  } catch (error) {
    if (error instanceof TargetRefusedError) throw new InvalidRequestError('url_not_allowed', error.message, { param: 'url' });
    throw error;
  }
}

export function webhookRoutes(dependencies: WebhookRoutesDependencies): ApiRoute[] {
  const now = dependencies.now ?? (() => new Date());
  return [
    defineRoute(webhookEndpointRoutes.createWebhookEndpoint, async (request) => {
      const { merchantId } = merchantOf(request);
      await requireAllowedUrl(request.body.url, dependencies);
      const endpointId = request.newId('webhookEndpoint');
      const secret = generateSigningSecret();
      const endpoint: WebhookEndpoint = {
        endpointId,
        merchantId,
        url: request.body.url,
        events: [...new Set(request.body.events)],
        status: 'enabled',
        disabledReason: undefined,
        sealedSecret: await dependencies.secrets.seal(secret, { merchantId, endpointId }),
        created: now().toISOString(),
      };
      await dependencies.endpoints.create(endpoint);
      const body: CreatedWebhookEndpointResponse = { ...toPublicEndpoint(endpoint), secret };
      return { status: 201, body };
    }),
    defineRoute(webhookEndpointRoutes.listWebhookEndpoints, async (request) => {
      const { merchantId } = merchantOf(request);
      const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId });
      const page = await dependencies.endpoints.list({
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
      const endpoint = await dependencies.endpoints.getOwned(merchantOf(request).merchantId, id);
      if (endpoint === undefined) throw new NotFoundError('webhook endpoint', id, 'id');
      return { status: 200, body: toPublicEndpoint(endpoint) };
    }),
    defineRoute(webhookEndpointRoutes.deleteWebhookEndpoint, async (request) => {
      const id = request.pathParameters.id ?? '';
      const deleted = await dependencies.endpoints.delete(merchantOf(request).merchantId, id);
      if (!deleted) throw new NotFoundError('webhook endpoint', id, 'id');
      return { status: 200, body: { id, deleted: true } };
    }),
  ];
}

export const handler = createApiHandler(
  webhookRoutes({
    endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableNameFromEnv()),
    secrets: new KmsSecretBox(kmsClient, secretKeyIdFromEnv()),
    policy: urlPolicyFromEnv(),
    resolver: systemResolver,
  }),
 apiPipeline
);
