import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { indexNames, keys, ownerPartition } from './keys.ts';
import type { GatewayEvent } from './outbox.ts';

export interface EventPage {
  readonly events: readonly GatewayEvent[];
  readonly lastId: string | undefined;
}

/** Events as the outbox relay recorded them: read by id, or a merchant's newest first. */
export class EventRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getOwned(merchantId: string, eventId: string): Promise<GatewayEvent | undefined> {
    const event = await this.get(eventId);
    return event?.merchantId === merchantId ? event : undefined;
  }

  /** Consistent: the fan-out and the delivery worker read an event the relay may have just written. */
  async get(eventId: string): Promise<GatewayEvent | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.event(eventId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toEvent(Item);
  }

  async list(filter: { merchantId: string; type?: string; startingAfter?: string; limit: number }): Promise<EventPage> {
    const names: Record<string, string> = { '#pk': 'gsi1pk' };
    const values: Record<string, unknown> = { ':pk': ownerPartition.events(filter.merchantId) };
    let condition = '#pk = :pk';
    if (filter.startingAfter !== undefined) {
      condition += ' AND #sk < :after';
      names['#sk'] = 'gsi1sk';
      values[':after'] = filter.startingAfter;
    }
    if (filter.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = filter.type;
    }
    const events: GatewayEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    // A type filter applies after the key condition, so filling a page may take more than one query.
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexNames.byOwner,
          KeyConditionExpression: condition,
          ...(filter.type === undefined ? {} : { FilterExpression: '#type = :type' }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filter.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...(page.Items ?? []).map(toEvent));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && events.length <= filter.limit);
    const pageEvents = events.slice(0, filter.limit);
    return { events: pageEvents, lastId: events.length > filter.limit ? pageEvents[pageEvents.length - 1]?.id : undefined };
  }
}

function toEvent(item: Record<string, unknown>): GatewayEvent {
  return {
    id: String(item.id),
    type: String(item.type),
    merchantId: String(item.merchantId),
    created: String(item.created),
    data: (item.data ?? {}) as Record<string, unknown>,
  };
}

/** The event as a merchant reads it, with its webhook deliveries (rendered by the events API). */
export function toPublicEvent<Delivery>(
  event: GatewayEvent,
  deliveries: readonly Delivery[],
): { id: string; type: string; created: string; data: Record<string, unknown>; deliveries: readonly Delivery[] } {
  return { id: event.id, type: event.type, created: event.created, data: event.data, deliveries };
}
