/**
 * The merchant's events with their webhook deliveries. An event is recorded by the fan-out, once it knows
 * which endpoints the event goes to, in the event shard its id names (keys.ts); each delivery is an item
 * right after it (webhook-delivery-store.ts). So one query reads an event with its deliveries, a merchant's
 * list merges its shards newest first, and one transaction's timeline reads one shard.
 */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { GatewayEvent } from '../core/event.ts';
import { idBoundary } from '../core/ids.ts';
import type { EventListFilter, EventPage, RecordedEvents } from '../events/ports.ts';
import type { EventTimelines } from '../hosted/ports.ts';
import { firstAttemptDue, type Delivery, type EventLog, type RecordedEvent } from '../webhooks/ports.ts';
import { toDelivery } from './webhook-delivery-store.ts';
import { BATCH_WRITE_LIMIT, untilProcessed } from './batch-requests.ts';
import { itemSchemaOf, parseItem } from './item-schema.ts';
import { EVENT_SHARDS, eventPartition, eventShardAbout, keys } from './keys.ts';
import { NewestFirstMerge, type ShardReader } from './newest-first.ts';

/** An event as its item holds it. */
const storedEvent = itemSchemaOf<GatewayEvent>()(
  z.object({
    id: z.string(),
    type: z.string(),
    merchantId: z.string(),
    created: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
);

/** An event's item with what the fan-out recorded beside it: where it went, and when. */
const recordedEventItem = storedEvent.extend({ endpoint_ids: z.array(z.string()), recorded_at: z.number() });

/** Items one query of a timeline reads: events and their deliveries. */
const TIMELINE_PAGE_SIZE = 200;
/** Items read at most per timeline: ten pages of one shard. */
const TIMELINE_MAX_PAGES = 10;
/** Event ids are made after the change they record, but clocks of different functions may differ a little. */
const CLOCK_SKEW_MS = 60_000;

export class EventRepository implements RecordedEvents, EventLog, EventTimelines {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Records events, each with the endpoints it goes to, a batch per request. Recording is idempotent: the
   * event itself is the same whoever writes it (its deliveries are items of their own), so a fan-out that runs
   * again writes it again unconditionally; only `endpoint_ids` and `recorded_at` are those of the last run.
   */
  async record(events: readonly { event: GatewayEvent; endpointIds: readonly string[] }[], recordedAt: number): Promise<void> {
    for (let start = 0; start < events.length; start += BATCH_WRITE_LIMIT) {
      const puts = events.slice(start, start + BATCH_WRITE_LIMIT).map(({ event, endpointIds }): Record<string, unknown> => {
        const recorded: z.input<typeof recordedEventItem> = { ...event, endpoint_ids: [...endpointIds], recorded_at: recordedAt };
        return { PutRequest: { Item: { ...keys.event(event.merchantId, event.id), ...recorded } } };
      });
      await untilProcessed(puts, async (pending) => {
        const response = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: [...pending] } }));
        return response.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      });
    }
  }

  /** The merchant's event with its deliveries, in one strongly consistent query; undefined for another's. */
  async getOwned(merchantId: string, eventId: string): Promise<RecordedEvent | undefined> {
    const { pk, sk } = keys.event(merchantId, eventId);
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': pk, ':sk': sk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return groupEvents(items)[0];
  }

  /** The merchant's events newest first, with their deliveries, merged from every shard. */
  async list(filter: EventListFilter): Promise<EventPage> {
    const readers = Array.from({ length: EVENT_SHARDS }, (_, shard) =>
      this.shardReader(eventPartition(filter.merchantId, shard), { before: filter.startingAfter, type: filter.type, pageSize: filter.limit + 1 }),
    );
    const merged = await new NewestFirstMerge(readers, (recorded: RecordedEvent) => recorded.event.id).take(filter.limit + 1);
    const events = merged.slice(0, filter.limit);
    return { events, lastId: merged.length > filter.limit ? events[events.length - 1]?.event.id : undefined };
  }

  /**
   * One transaction's events, oldest first: the events recorded in its shard since it was made, about it.
   * Capped; `complete: false` says a very busy merchant's timeline was cut short.
   */
  async timelineOf(merchantId: string, transactionId: string, createdAt: string): Promise<{ events: RecordedEvent[]; complete: boolean }> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          // Events about the transaction, and deliveries (which carry no data: kept when their event is).
          FilterExpression: '#data.#txn = :txn OR attribute_exists(endpoint_id)',
          ExpressionAttributeNames: { '#data': 'data', '#txn': 'transaction_id' },
          ExpressionAttributeValues: {
            ':pk': eventPartition(merchantId, eventShardAbout(transactionId)),
            ':from': `EVT#${idBoundary('event', Date.parse(createdAt) - CLOCK_SKEW_MS)}`,
            ':txn': transactionId,
          },
          Limit: TIMELINE_PAGE_SIZE,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
      pages += 1;
    } while (startKey !== undefined && pages < TIMELINE_MAX_PAGES);
    return { events: groupEvents(items), complete: startKey === undefined };
  }

  /** Reads one shard newest first, as whole events (an event comes after its deliveries in that order). */
  private shardReader(
    partition: string,
    filter: { before: string | undefined; type: string | undefined; pageSize: number },
  ): ShardReader<RecordedEvent> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': partition };
    let condition = 'pk = :pk';
    if (filter.before !== undefined) {
      condition += ' AND sk < :before';
      values[':before'] = `EVT#${filter.before}`;
    }
    if (filter.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = filter.type;
    }
    return async (startKey) => {
      const items: Record<string, unknown>[] = [];
      let nextKey = startKey;
      // A page ends on an event, never between an event's deliveries and the event itself.
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: condition,
            ...(filter.type === undefined ? {} : { FilterExpression: '#type = :type OR attribute_exists(endpoint_id)' }),
            ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            // A page of the list needs at most one more event than it shows from any one shard.
            Limit: filter.pageSize,
            ExclusiveStartKey: nextKey,
          }),
        );
        items.push(...(page.Items ?? []));
        nextKey = page.LastEvaluatedKey;
      } while (nextKey !== undefined && isDelivery(items[items.length - 1]));
      return { items: groupEvents(items).reverse(), nextKey };
    };
  }
}

function isDelivery(item: Record<string, unknown> | undefined): boolean {
  return item !== undefined && typeof item.endpoint_id === 'string';
}

/**
 * Items of one partition (events and the delivery items after each) as events with their deliveries, oldest
 * first; an endpoint the event went to with no attempt recorded yet shows as a first attempt due. Deliveries
 * whose event is not among the items (filtered out) are dropped.
 */
function groupEvents(items: readonly Record<string, unknown>[]): RecordedEvent[] {
  const deliveriesOf = new Map<string, Delivery[]>();
  const events: { event: GatewayEvent; endpointIds: readonly string[]; recordedAt: number }[] = [];
  for (const item of items) {
    if (isDelivery(item)) {
      const delivery = toDelivery(item);
      deliveriesOf.set(delivery.eventId, [...(deliveriesOf.get(delivery.eventId) ?? []), delivery]);
    } else {
      const { endpoint_ids: endpointIds, recorded_at: recordedAt, ...event } = parseItem(recordedEventItem, item, 'event');
      events.push({ event, endpointIds, recordedAt });
    }
  }
  return events
    .sort((a, b) => (a.event.id < b.event.id ? -1 : 1))
    .map(({ event, endpointIds, recordedAt }) => {
      const recorded = deliveriesOf.get(event.id) ?? [];
      const due = endpointIds
        .filter((endpointId) => !recorded.some((delivery) => delivery.endpointId === endpointId))
        .map((endpointId) => firstAttemptDue({ eventId: event.id, endpointId, merchantId: event.merchantId }, recordedAt));
      return { event, deliveries: [...recorded, ...due].sort((a, b) => (a.endpointId < b.endpointId ? -1 : 1)) };
    });
}

export function toEvent(item: Record<string, unknown>): GatewayEvent {
  return parseItem(storedEvent, item, 'event');
}

