/**
 * A merchant's webhook endpoints: `WHE#<id>` items, listed through the byOwner index (`MER#<id>#WHE`).
 * The signing secret is stored only sealed (see webhook-secret-box.ts). Items are parsed as they are read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { EndpointPage, WebhookEndpoint, WebhookEndpoints } from '../webhooks/ports.ts';
import { parseItem } from './item-schema.ts';
import { indexNames, keys, ownerPartition } from './keys.ts';


export class WebhookEndpointStore implements WebhookEndpoints {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates the endpoint, or replaces it when the same merchant creates it again under the same id: a
   * retried request (idempotency take-over) reruns with the same seeded id after a first run that died
   * after this write, so its secret never reached the merchant and the retry's secret must win.
   */
  async create(endpoint: WebhookEndpoint): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.webhookEndpoint(endpoint.endpointId),
          gsi1pk: ownerPartition.webhookEndpoints(endpoint.merchantId),
          gsi1sk: endpoint.endpointId,
          endpoint_id: endpoint.endpointId,
          merchant_id: endpoint.merchantId,
          url: endpoint.url,
          events: [...endpoint.events],
          status: endpoint.status,
          secret_sealed: endpoint.sealedSecret,
          created: endpoint.created,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR merchant_id = :merchantId',
        ExpressionAttributeValues: { ':merchantId': endpoint.merchantId },
      }),
    );
  }

  async get(endpointId: string): Promise<WebhookEndpoint | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.webhookEndpoint(endpointId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toEndpoint(Item);
  }

  /** Another merchant's endpoint is not found, as an unknown one is. */
  async getOwned(merchantId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
    const endpoint = await this.get(endpointId);
    return endpoint?.merchantId === merchantId ? endpoint : undefined;
  }

  /** Newest first. */
  async list(filter: { merchantId: string; startingAfter?: string; limit: number }): Promise<EndpointPage> {
    const values: Record<string, unknown> = { ':pk': ownerPartition.webhookEndpoints(filter.merchantId) };
    let condition = 'gsi1pk = :pk';
    if (filter.startingAfter !== undefined) {
      condition += ' AND gsi1sk < :after';
      values[':after'] = filter.startingAfter;
    }
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexNames.byOwner,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: filter.limit + 1,
      }),
    );
    const endpoints = (Items ?? []).map(toEndpoint);
    const page = endpoints.slice(0, filter.limit);
    return { endpoints: page, lastId: endpoints.length > filter.limit ? page[page.length - 1]?.endpointId : undefined };
  }

  /** Every endpoint of the merchant, for the fan-out (a merchant has a handful). */
  async listAll(merchantId: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexNames.byOwner,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': ownerPartition.webhookEndpoints(merchantId) },
          ExclusiveStartKey: startKey,
        }),
      );
      endpoints.push(...(page.Items ?? []).map(toEndpoint));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return endpoints;
  }

  /** Deletes the merchant's endpoint; false when it has none by that id. */
  async delete(merchantId: string, endpointId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(endpointId),
          ConditionExpression: 'merchant_id = :merchantId',
          ExpressionAttributeValues: { ':merchantId': merchantId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Stops deliveries to an endpoint, e.g. after it answered 410 Gone. */
  async disable(endpointId: string, reason: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookEndpoint(endpointId),
          UpdateExpression: 'SET #status = :disabled, disabled_reason = :reason',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':reason': reason },
        }),
      );
    } catch (error) {
      // Deleted meanwhile: nothing left to disable.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** An endpoint item as `create` writes it and `disable` changes it. */
const endpointItem = z.object({
  endpoint_id: z.string(),
  merchant_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: z.enum(['enabled', 'disabled']),
  disabled_reason: z.string().optional(),
  secret_sealed: z.string(),
  created: z.string(),
});

export function toEndpoint(item: Record<string, unknown>): WebhookEndpoint {
  const stored = parseItem(endpointItem, item, 'webhook endpoint');
  return {
    endpointId: stored.endpoint_id,
    merchantId: stored.merchant_id,
    url: stored.url,
    events: stored.events,
    status: stored.status,
    disabledReason: stored.disabled_reason,
    sealedSecret: stored.secret_sealed,
    created: stored.created,
  };
}
