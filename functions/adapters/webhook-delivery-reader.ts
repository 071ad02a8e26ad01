/**
 * What the delivery worker needs for a batch of messages — each message's event, its delivery so far and
 * its endpoint — in one strongly consistent BatchGetItem (per 100 keys), instead of three reads a message.
 */
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { contextKey, type DeliveryContext, type DeliveryContexts, type DeliveryMessage } from '../webhooks/ports.ts';
import { BATCH_GET_LIMIT, untilProcessed } from './batch-requests.ts';
import { toEvent } from './event-repository.ts';
import { keys, type ItemKey } from './keys.ts';
import { toDelivery } from './webhook-delivery-store.ts';
import { toEndpoint } from './webhook-endpoint-store.ts';

export class DeliveryReader implements DeliveryContexts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The context of each message, keyed by `contextKey`. */
  async read(messages: readonly DeliveryMessage[]): Promise<Map<string, DeliveryContext>> {
    const wanted = new Map<string, ItemKey>();
    for (const message of messages) {
      for (const key of keysOf(message)) wanted.set(`${key.pk}|${key.sk}`, key);
    }
    const items = new Map<string, Record<string, unknown>>();
    const all = [...wanted.values()];
    for (let start = 0; start < all.length; start += BATCH_GET_LIMIT) {
      const toRead = all.slice(start, start + BATCH_GET_LIMIT).map((key): Record<string, unknown> => ({ ...key }));
      await untilProcessed(toRead, async (pending) => {
        const response: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: [...pending], ConsistentRead: true } } }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) items.set(`${String(item.pk)}|${String(item.sk)}`, item);
        return response.UnprocessedKeys?.[this.tableName]?.Keys;
      });
    }
    const contexts = new Map<string, DeliveryContext>();
    for (const message of messages) {
      const [eventItem, deliveryItem, endpointItem] = keysOf(message).map((key) => items.get(`${key.pk}|${key.sk}`));
      const endpoint = endpointItem === undefined ? undefined : toEndpoint(endpointItem);
      contexts.set(contextKey(message), {
        event: eventItem === undefined ? undefined : toEvent(eventItem),
        delivery: deliveryItem === undefined ? undefined : toDelivery(deliveryItem),
        // Another merchant's endpoint is no endpoint of this delivery.
        endpoint: endpoint?.merchantId === message.merchant_id ? endpoint : undefined,
      });
    }
    return contexts;
  }
}

function keysOf(message: DeliveryMessage): [ItemKey, ItemKey, ItemKey] {
  return [
    keys.event(message.merchant_id, message.event_id),
    keys.webhookDelivery(message.merchant_id, message.event_id, message.endpoint_id),
    keys.webhookEndpoint(message.endpoint_id),
  ];
}
