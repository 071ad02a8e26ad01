/**
 * The transactional outbox, on single-item writes.
 *
 * A state change and what it must cause (events to record, commands for a queue) are written in ONE
 * conditional write to the record's own item: the entries sit in its `outbox` map, and the item joins
 * the sparse `outbox` index through `outbox_pending`. Nothing can be lost if a process dies after that
 * write: the relay that publishes the entries runs right after the write, and again from the periodic
 * sweep of the sparse index for any item whose writer died before publishing. Publishing is idempotent
 * (event records are conditional puts; consumers of commands are idempotent), so publishing twice is safe.
 * Publishing an event also sends it to the webhook fan-out queue, so every function that publishes events
 * needs `webhookFanout` among its queues.
 *
 * Single-item atomicity is used instead of TransactWriteItems so that the very same code path runs on
 * DynamoDB and on dynalite, which has no transactions.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { QueueName } from '../../lib/topology.ts';
import { indexNames, keys, ownerPartition, type ItemKey } from './keys.ts';
import type { QueueSender } from './queue-sender.ts';

/** An event as recorded for the merchant (`GET /events`) and later delivered to webhooks. */
export interface GatewayEvent {
  readonly id: string;
  readonly type: string;
  readonly merchantId: string;
  /** ISO 8601 UTC. */
  readonly created: string;
  readonly data: Record<string, unknown>;
}

export type OutboxEntry =
  | { readonly kind: 'event'; readonly id: string; readonly event: GatewayEvent }
  | {
      readonly kind: 'command';
      readonly id: string;
      readonly queue: QueueName;
      readonly body: Record<string, unknown>;
      readonly delaySeconds?: number;
    };

export function eventEntry(event: GatewayEvent): OutboxEntry {
  return { kind: 'event', id: event.id, event };
}

export function commandEntry(queue: QueueName, body: Record<string, unknown>, delaySeconds?: number): OutboxEntry {
  return { kind: 'command', id: `cmd_${randomUUID()}`, queue, body, ...(delaySeconds === undefined ? {} : { delaySeconds }) };
}

/** Every recorded event goes here, to become one webhook delivery per subscribed endpoint. */
export const WEBHOOK_FANOUT_QUEUE: QueueName = 'webhookFanout';

/** Pending items are spread over a few index partitions so that the index has no single hot key. */
const OUTBOX_SHARDS = 4;
/** The sweep leaves fresh entries to their writer's own relay call. */
const SWEEP_GRACE_MS = 10_000;

export type WriteOutcome = 'written' | 'condition_failed';

export interface RecordUpdate {
  readonly key: ItemKey;
  /** Top-level attributes to set; an `undefined` value removes the attribute. */
  readonly set: Record<string, unknown>;
  readonly remove?: readonly string[];
  /** The write applies only if the item's `version` is still this; it then becomes `version + 1`. */
  readonly expectedVersion: number;
  readonly entries: readonly OutboxEntry[];
}

export class OutboxStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly queues: QueueSender,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Creates a record (version 1) with its outbox entries, unless an item with its key exists. */
  async create(item: ItemKey & Record<string, unknown>, entries: readonly OutboxEntry[]): Promise<WriteOutcome> {
    const outbox = Object.fromEntries(entries.map((entry) => [entry.id, entry]));
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, version: 1, outbox, ...this.pendingMarker(entries.length) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'condition_failed';
      throw error;
    }
  }

  /** Applies a versioned change and appends its outbox entries, atomically. */
  async update(change: RecordUpdate): Promise<WriteOutcome> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': change.expectedVersion, ':one': 1 };
    const setClauses = ['#version = #version + :one'];
    const removeClauses: string[] = [];
    let n = 0;
    for (const [attribute, value] of Object.entries(change.set)) {
      const name = `#a${n}`;
      names[name] = attribute;
      if (value === undefined) {
        removeClauses.push(name);
      } else {
        values[`:a${n}`] = value;
        setClauses.push(`${name} = :a${n}`);
      }
      n += 1;
    }
    for (const attribute of change.remove ?? []) {
      names[`#a${n}`] = attribute;
      removeClauses.push(`#a${n}`);
      n += 1;
    }
    change.entries.forEach((entry, i) => {
      names['#outbox'] = 'outbox';
      names[`#o${i}`] = entry.id;
      values[`:o${i}`] = entry;
      setClauses.push(`#outbox.#o${i} = :o${i}`);
    });
    if (change.entries.length > 0) {
      const marker = this.pendingMarker(change.entries.length);
      names['#pending'] = 'outbox_pending';
      names['#pendingAt'] = 'outbox_at';
      values[':pending'] = marker.outbox_pending;
      values[':pendingAt'] = marker.outbox_at;
      setClauses.push('#pending = :pending', '#pendingAt = :pendingAt');
    }
    const expression =
      `SET ${setClauses.join(', ')}` + (removeClauses.length > 0 ? ` REMOVE ${removeClauses.join(', ')}` : '');
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: change.key,
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'condition_failed';
      throw error;
    }
  }

  /** Publishes the given entries of one item and clears them; an emptied item leaves the sparse index. */
  async publish(key: ItemKey, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await Promise.all(entries.map((entry) => this.deliver(entry)));
    await this.clear(key, entries);
  }

  /** Reads an item's outbox and publishes whatever is in it. */
  async publishPending(key: ItemKey): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'outbox' }),
    );
    const outbox = (Item?.outbox ?? {}) as Record<string, OutboxEntry>;
    const entries = Object.values(outbox);
    // Empty but still indexed: another relay published the entries first; only the marker is left to clear.
    await (entries.length === 0 ? this.clear(key, []) : this.publish(key, entries));
    return entries.length;
  }

  /** Publishes every outbox a writer left behind (older than a short grace period). Returns how many entries. */
  async sweep(): Promise<number> {
    const olderThan = this.clock() - SWEEP_GRACE_MS;
    let published = 0;
    for (let shard = 0; shard < OUTBOX_SHARDS; shard += 1) {
      let startKey: Record<string, AttributeValue | unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: indexNames.outbox,
            KeyConditionExpression: 'outbox_pending = :shard',
            FilterExpression: 'outbox_at < :olderThan',
            ExpressionAttributeValues: { ':shard': shardName(shard), ':olderThan': olderThan },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          published += await this.publishPending({ pk: String(item.pk), sk: String(item.sk) });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    return published;
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    if (entry.kind === 'command') {
      await this.queues.send(entry.queue, JSON.stringify(entry.body), entry.delaySeconds);
      return;
    }
    const { event } = entry;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.event(event.id),
            gsi1pk: ownerPartition.events(event.merchantId),
            gsi1sk: event.id,
            ...event,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Recorded by an earlier attempt: publishing is at least once, recording exactly once.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Sent even when the record existed already: the attempt that recorded it may have died before this
    // line. The entry is cleared only after this send, so the fan-out cannot be lost; a second fan-out
    // message is harmless (functions/webhooks/fanout.ts creates each delivery once).
    await this.queues.send(WEBHOOK_FANOUT_QUEUE, JSON.stringify({ event_id: event.id }));
  }

  /** Removes published entries; the item leaves the sparse index once its outbox is empty. */
  private async clear(key: ItemKey, published: readonly OutboxEntry[]): Promise<void> {
    const names: Record<string, string> = { '#outbox': 'outbox' };
    const removals = published.map((entry, i) => {
      names[`#o${i}`] = entry.id;
      return `#outbox.#o${i}`;
    });
    try {
      // The usual case, one write: these were all the entries, so the item leaves the index too.
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `REMOVE ${[...removals, 'outbox_pending', 'outbox_at'].join(', ')}`,
          ConditionExpression: 'size(#outbox) = :count',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':count': published.length },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // A newer change added entries meanwhile: remove only ours; the item stays indexed for the rest.
    if (removals.length === 0) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `REMOVE ${removals.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
      }),
    );
  }

  private pendingMarker(entryCount: number): { outbox_pending?: string; outbox_at?: number } {
    if (entryCount === 0) return {};
    return { outbox_pending: shardName(Math.floor(Math.random() * OUTBOX_SHARDS)), outbox_at: this.clock() };
  }
}

function shardName(shard: number): string {
  return `pending-${shard}`;
}
