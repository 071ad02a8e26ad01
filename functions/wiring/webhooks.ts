/** The webhooks function: endpoints in the table, their secrets sealed with KMS, URLs vetted by the configured policy. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { kmsClient } from '../adapters/kms-client.ts';
import { systemResolver } from '../adapters/webhook-dns-resolver.ts';
import { WebhookEndpointStore } from '../adapters/webhook-endpoint-store.ts';
import { KmsSecretBox, secretKeyIdFromEnv } from '../adapters/webhook-secret-box.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeWebhookEndpointsHandler } from '../webhooks/handler.ts';
import { urlPolicyFromEnv } from '../webhooks/url-policy.ts';
import { apiPipeline } from './api-pipeline.ts';

export const handler = makeWebhookEndpointsHandler({
  endpoints: new WebhookEndpointStore(dynamoDocumentClient, tableNameFromEnv()),
  secrets: new KmsSecretBox(kmsClient, secretKeyIdFromEnv()),
  policy: urlPolicyFromEnv(),
  resolver: systemResolver,
  now: () => new Date(),
  ...apiPipeline,
});
