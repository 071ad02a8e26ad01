/**
 * Orders in DynamoDB: one item each, changed only by conditional writes on its version, with its events in
 * the item's outbox (see outbox.ts and the claim protocol in core/order.ts).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { orderStatuses, type Order, type OrderEvent } from '../core/order.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';
import type { Orders } from '../orders/ports.ts';
import { itemSchemaOf, parseItem } from './item-schema.ts';
import { keys, newEventIdAbout } from './keys.ts';
import { OutboxStore, eventEntry, type OutboxEntry } from './outbox.ts';

export class OrderRepository implements Orders {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly outbox: OutboxStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the order unless one with its id exists ('condition_failed': a retried request). */
  create(order: Order): Promise<WriteOutcome> {
    const { version: _version, ...attributes } = order;
    return this.outbox.create({ ...keys.order(order.id), ...attributes }, []);
  }

  /** Writes `next`, computed from `previous`, with its events, on the condition that nobody changed the order meanwhile. */
  async apply(previous: Order, next: Order, events: readonly OrderEvent[] = []): Promise<WriteOutcome> {
    if (next === previous) return 'written';
    const { version: _version, ...attributes } = next;
    const entries = this.entriesFor(next, events);
    const outcome = await this.outbox.update({
      key: keys.order(next.id),
      // Explicitly undefined: a confirmation that no longer holds (a new claim) must be removed from the item.
      set: { ...attributes, claimConfirmed: next.claimConfirmed },
      expectedVersion: previous.version,
      entries,
      sweepable: true,
    });
    if (outcome === 'written') await this.outbox.publishAndClear(keys.order(next.id), entries, previous.version + 1);
    return outcome;
  }

  async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.order(orderId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : parseItem(storedOrder, Item, 'order');
  }

  /** The order if it exists AND belongs to the merchant; otherwise undefined, indistinguishably. */
  async getOwned(merchantId: string, orderId: string): Promise<Order | undefined> {
    const order = await this.get(orderId);
    return order?.merchantId === merchantId ? order : undefined;
  }

  private entriesFor(order: Order, events: readonly OrderEvent[]): OutboxEntry[] {
    const created = this.clock().toISOString();
    return events.map((event) =>
      // In the paying transaction's event shard, so its timeline shows the order paid.
      eventEntry({ id: newEventIdAbout(order.transactionId ?? order.id), type: event.type, merchantId: order.merchantId, created, data: { ...event.data } }),
    );
  }
}

/** The order as its item holds it; the item's keys and outbox are left out. */
const storedOrder = itemSchemaOf<Order>()(
  z.object({
    id: z.string(),
    merchantId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    customerId: z.string().optional(),
    description: z.string().optional(),
    metadata: z.record(z.string(), z.string()),
    status: z.enum(orderStatuses),
    transactionId: z.string().optional(),
    claimedAt: z.string().optional(),
    claimConfirmed: z.boolean().optional(),
    paidAt: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  }),
);
