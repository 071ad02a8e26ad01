/**
 * The transactional outbox, on single-item writes.
 *
 * A state change and what it must cause (events for the merchant, commands for a queue) are written in ONE
 * conditional write to the record's own item, in its `outbox` map. Right after the write the writer's
 * relay publishes them: events first, as one message to the webhook fan-out (which records them), then
 * commands. Publishing is at least once everywhere below: the fan-out and every command's consumer are
 * idempotent.
 *
 * Who takes the entries out again decides what a write costs, so it is explicit:
 * - A write whose entries include a command leaves them for that command's consumer: the consumer's own
 *   write on the record replaces them (see `replaces` and `isConsumedBatch`), and because events are sent
 *   before commands, receiving the command proves the events went out. No extra write.
 * - A write made for an HTTP request whose entries hold no command is cleared by its relay after publishing
 *   (`clear`), one small write. A queue consumer's entries without a command stay until the record's next
 *   write, which publishes them again (idempotently) first: cheaper than a clear on every payment.
 * - A writer that finds entries it cannot prove published publishes them itself before it replaces them.
 *
 * If the writer dies before publishing, what it wrote is found again in one of two ways. A write made for
 * an HTTP request sets `outbox_pending` (a sparse index, spread over `OUTBOX_SHARDS` partitions) and the
 * periodic sweep publishes it. A write made by a queue consumer needs no marker: its message comes back
 * after the visibility timeout as a redelivery, and the consumer republishes the record's entries
 * (`publishPending`).
 *
 * Single-item writes and the sweep rather than TransactWriteItems and Streams: on the numbers, neither would
 * make a payment cheaper (README "Data model" weighs them).
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { queueNames, type QueueName } from '../../lib/topology.ts';
import type { GatewayEvent } from '../core/event.ts';
import type { QueueSender } from '../core/queue-sender.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';
import { parseItem } from './item-schema.ts';
import { indexNames, type ItemKey } from './keys.ts';

/**
 * An event as its record's outbox keeps it. `data` may hold only what differs from the record's public view
 * at the write's version (`compact`); `expand` (given by the record's repository) rebuilds the whole of it.
 */
export interface EventEntry {
  readonly kind: 'event';
  readonly id: string;
  readonly type: string;
  readonly merchantId: string;
  readonly created: string;
  readonly data: Record<string, unknown>;
  readonly compact?: true;
}

export interface CommandEntry {
  readonly kind: 'command';
  readonly id: string;
  readonly queue: QueueName;
  readonly body: Record<string, unknown>;
  readonly delaySeconds?: number;
}

export type OutboxEntry = EventEntry | CommandEntry;

/** Rebuilds a compact event's data from the raw item it was written with. */
export type EventExpander = (item: Record<string, unknown>, entry: EventEntry) => Record<string, unknown>;

export function eventEntry(event: GatewayEvent): EventEntry {
  return { kind: 'event', ...event };
}

export function commandEntry(queue: QueueName, body: Record<string, unknown>, delaySeconds?: number): CommandEntry {
  // Unique within one record's outbox, which is all it names: 60 random bits are plenty.
  return { kind: 'command', id: `cmd_${randomBytes(8).toString('base64url').slice(0, 10)}`, queue, body, ...(delaySeconds === undefined ? {} : { delaySeconds }) };
}

/**
 * The field a command's message carries naming its outbox entry, so that its consumer can tell that the
 * record's outbox holds the very batch the message came from (and is therefore published).
 */
export const OUTBOX_ENTRY_FIELD = 'outbox_entry';

/** Every recorded event goes here, to be recorded and become one webhook delivery per subscribed endpoint. */
const WEBHOOK_FANOUT_QUEUE: QueueName = 'webhookFanout';

/** The message on the fan-out queue for new events: the events themselves, so nothing is read back. */
export interface FanoutEventsMessage {
  readonly events: readonly GatewayEvent[];
}

/** Pending items are spread over index partitions so that the sparse index has no hot key. */
const OUTBOX_SHARDS = 16;
/**
 * The sweep leaves entries younger than this to their writer's relay or their command's consumer. A batch
 * that waits for its command's consumer (an authorization riding out a processor outage) is republished at
 * most once per this period, not at every sweep.
 */
export const SWEEP_GRACE_MS = 60_000;

export interface RecordUpdate {
  readonly key: ItemKey;
  /** Top-level attributes to set; an `undefined` value removes the attribute. */
  readonly set: Record<string, unknown>;
  readonly remove?: readonly string[];
  /** The write applies only if the item's `version` is still this; it then becomes `version + 1`. */
  readonly expectedVersion: number;
  readonly entries: readonly OutboxEntry[];
  /** Ids of entries this write takes out of the outbox: published ones, read at `expectedVersion`. */
  readonly replaces?: readonly string[];
  /**
   * Whether the sweep must find this write's entries (`true` for writes made for an HTTP request, which
   * nothing else would repeat). A write that is not, and replaces entries, takes the item out of the sweep.
   */
  readonly sweepable: boolean;
}

export interface OutboxOptions {
  readonly clock?: () => number;
  /** How long the sweep leaves entries alone; `SWEEP_GRACE_MS` unless given. */
  readonly sweepGraceMs?: number;
  /** For records whose events are kept compact (transactions); the sweep needs it to publish them. */
  readonly expand?: EventExpander;
}

export class OutboxStore {
  private readonly clock: () => number;
  private readonly expand: EventExpander | undefined;
  private readonly sweepGraceMs: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly queues: QueueSender,
    options: OutboxOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.expand = options.expand;
    this.sweepGraceMs = options.sweepGraceMs ?? SWEEP_GRACE_MS;
  }

  /**
   * Creates a record (version 1) with its outbox entries, unless an item with its key exists. The record's
   * merchant is its entries' merchant: they do not repeat it.
   */
  async create(item: ItemKey & { readonly merchantId: string } & Record<string, unknown>, entries: readonly OutboxEntry[]): Promise<WriteOutcome> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, version: 1, outbox: outboxMap(entries), ...(entries.length > 0 ? this.pendingMarker() : {}) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'condition_failed';
      throw error;
    }
  }

  /** Applies a versioned change, takes out the entries it replaces and adds its own, atomically. */
  async update(change: RecordUpdate): Promise<WriteOutcome> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': change.expectedVersion, ':one': 1 };
    const setClauses = ['#version = #version + :one'];
    const removeClauses: string[] = [];
    let n = 0;
    const name = (attribute: string): string => {
      const placeholder = `#a${n}`;
      names[placeholder] = attribute;
      n += 1;
      return placeholder;
    };
    for (const [attribute, value] of Object.entries(change.set)) {
      const placeholder = name(attribute);
      if (value === undefined) {
        removeClauses.push(placeholder);
      } else {
        values[`:${placeholder.slice(1)}`] = value;
        setClauses.push(`${placeholder} = :${placeholder.slice(1)}`);
      }
    }
    for (const attribute of change.remove ?? []) removeClauses.push(name(attribute));
    if ((change.replaces ?? []).length > 0 || change.entries.length > 0) names['#outbox'] = 'outbox';
    for (const id of change.replaces ?? []) removeClauses.push(`#outbox.${name(id)}`);
    change.entries.forEach((entry) => {
      const placeholder = name(entry.id);
      values[`:${placeholder.slice(1)}`] = stored(entry);
      setClauses.push(`#outbox.${placeholder} = :${placeholder.slice(1)}`);
    });
    if (change.sweepable && change.entries.length > 0) {
      const marker = this.pendingMarker();
      values[':pending'] = marker.outbox_pending;
      values[':pendingAt'] = marker.outbox_at;
      setClauses.push('outbox_pending = :pending', 'outbox_at = :pendingAt');
    } else if ((change.replaces ?? []).length > 0) {
      removeClauses.push('outbox_pending', 'outbox_at');
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

  /**
   * Publishes entries whose events are whole (expanded): the events as one fan-out message, then, once it is
   * sent, the commands — so that a command's consumer may take the whole batch as published.
   */
  async publish(entries: readonly OutboxEntry[]): Promise<void> {
    const events = entries.filter((entry): entry is EventEntry => entry.kind === 'event');
    if (events.length > 0) {
      const message: FanoutEventsMessage = { events: events.map(toGatewayEvent) };
      await this.queues.send(WEBHOOK_FANOUT_QUEUE, JSON.stringify(message));
    }
    await Promise.all(
      entries
        .filter((entry): entry is CommandEntry => entry.kind === 'command')
        .map((entry) => this.queues.send(entry.queue, JSON.stringify({ ...entry.body, [OUTBOX_ENTRY_FIELD]: entry.id }), entry.delaySeconds)),
    );
  }

  /**
   * Reads an item's outbox, publishes whatever is in it, and clears what no consumer will: the sweep's step,
   * and a redelivered command's, whose earlier consumer may have died between its write and its relay.
   */
  async publishPending(key: ItemKey, expand: EventExpander | undefined = this.expand): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (Item === undefined) return 0;
    const { entries, version, marked } = parseOutbox(Item);
    if (entries.length === 0) {
      // Empty but still marked: another relay published and cleared the entries first.
      await this.clear(key, [], version);
      return 0;
    }
    await this.publish(expanded(Item, entries, expand));
    if (entries.some((entry) => entry.kind === 'command')) {
      // Its consumer clears it; until then the sweep waits a grace period before sending it again.
      if (marked) await this.touch(key, version);
    } else {
      await this.clear(key, entries, version);
    }
    return entries.length;
  }

  /** Publishes every outbox a writer left behind (older than a grace period). Returns how many entries. */
  async sweep(): Promise<number> {
    const olderThan = this.clock() - this.sweepGraceMs;
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
          published += await this.publishPending(parseItem(markedItemKey, item, 'outbox record'));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    return published;
  }

  /** The relay of a write (at `version`) whose entries no consumer takes out: publishes them, then clears them. */
  async publishAndClear(key: ItemKey, entries: readonly OutboxEntry[], version: number): Promise<void> {
    if (entries.length === 0) return;
    await this.publish(entries);
    await this.clear(key, entries, version);
  }

  /** Removes published entries; the item leaves the sparse index once its outbox is empty. */
  async clear(key: ItemKey, published: readonly OutboxEntry[], version: number): Promise<void> {
    const names: Record<string, string> = { '#outbox': 'outbox', '#version': 'version' };
    const removals = published.map((entry, i) => {
      names[`#o${i}`] = entry.id;
      return `#outbox.#o${i}`;
    });
    try {
      // The usual case, one write: these were all the entries of the version they were written with, so the
      // item leaves the index too. A newer write may have set a marker of its own, which must stay.
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `REMOVE ${[...removals, 'outbox_pending', 'outbox_at'].join(', ')}`,
          ConditionExpression: '#version = :version AND size(#outbox) = :count',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':count': published.length, ':version': version },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // A newer change wrote meanwhile: remove only ours (if still there); the item stays indexed for the rest.
    if (removals.length === 0) return;
    const { '#version': _version, ...entryNames } = names;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `REMOVE ${removals.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: entryNames,
      }),
    );
  }

  /** Takes an item out of the sweep, if it is still at `version`: its entries are in good hands. */
  unmark(key: ItemKey, version: number): Promise<void> {
    return this.changeMarker(key, version, 'REMOVE outbox_pending, outbox_at', {});
  }

  /** Restarts the grace period of a marked outbox that waits for its command's consumer. */
  private touch(key: ItemKey, version: number): Promise<void> {
    return this.changeMarker(key, version, 'SET outbox_at = :now', { ':now': this.clock() });
  }

  /**
   * Changes the sweep marker of an item still marked and still at `version`. If it changed meanwhile, whoever
   * changed it answers for its outbox, and nothing is left to do.
   */
  private async changeMarker(key: ItemKey, version: number, update: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: '#version = :version AND attribute_exists(outbox_pending)',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ...values, ':version': version },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private pendingMarker(): { outbox_pending: string; outbox_at: number } {
    return { outbox_pending: shardName(Math.floor(Math.random() * OUTBOX_SHARDS)), outbox_at: this.clock() };
  }
}

/**
 * An entry as the item keeps it: its id is its key in the `outbox` map and its merchant the record's own, so
 * neither is repeated; an event keeps `type`, `created` and either `data` (whole) or `diff` (compact); a
 * command keeps `queue`, `body` and its delay. Every write rewrites the whole item, so every byte here is paid
 * for at each change of the record.
 */
const storedEntry = z.union([
  z.object({ queue: z.enum(queueNames), body: z.record(z.string(), z.unknown()), delay: z.number().int().optional() }),
  z.object({
    type: z.string(),
    created: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
    diff: z.record(z.string(), z.unknown()).optional(),
  }),
]);
type StoredEntry = z.input<typeof storedEntry>;

/** What the outbox reads of a record's item (whole, or projected to these attributes). */
const outboxItemFields = z.object({
  merchantId: z.string(),
  version: z.number().int(),
  outbox: z.record(z.string(), storedEntry).optional(),
  outbox_pending: z.string().optional(),
});

/** The sweep's view of a marked item: its key. */
const markedItemKey = z.object({ pk: z.string(), sk: z.string() });

function stored(entry: OutboxEntry): StoredEntry {
  if (entry.kind === 'command') return { queue: entry.queue, body: entry.body, ...(entry.delaySeconds === undefined ? {} : { delay: entry.delaySeconds }) };
  return { type: entry.type, created: entry.created, ...(entry.compact === true ? { diff: entry.data } : { data: entry.data }) };
}

/**
 * A record's outbox as its item (whole, or projected to `outbox, outbox_pending, merchantId, version`) holds
 * it: the entries, the version they were written at, and whether the sweep is to find them.
 */
export function parseOutbox(item: Record<string, unknown>): { entries: OutboxEntry[]; version: number; marked: boolean } {
  const { merchantId, version, outbox = {}, outbox_pending } = parseItem(outboxItemFields, item, 'outbox record');
  const entries = Object.entries(outbox).map(([id, entry]): OutboxEntry => {
    if ('queue' in entry) {
      return { kind: 'command', id, queue: entry.queue, body: entry.body, ...(entry.delay === undefined ? {} : { delaySeconds: entry.delay }) };
    }
    return entry.diff === undefined
      ? { kind: 'event', id, type: entry.type, merchantId, created: entry.created, data: entry.data ?? {} }
      : { kind: 'event', id, type: entry.type, merchantId, created: entry.created, data: entry.diff, compact: true };
  });
  return { entries, version, marked: outbox_pending !== undefined };
}

/**
 * True when the outbox read from a record holds the batch that a consumed command came from: that batch's
 * events were sent before its commands, so the consumer may take the events and its own command as published.
 */
export function isConsumedBatch(entries: readonly OutboxEntry[], consumedEntryId: string | undefined): boolean {
  return consumedEntryId !== undefined && entries.some((entry) => entry.kind === 'command' && entry.id === consumedEntryId);
}

/** The entries of a raw item with compact events made whole. */
function expanded(item: Record<string, unknown>, entries: readonly OutboxEntry[], expand: EventExpander | undefined): OutboxEntry[] {
  return entries.map((entry) => {
    if (entry.kind !== 'event' || entry.compact !== true) return entry;
    if (expand === undefined) throw new Error(`No expander for the compact event ${entry.id}`);
    return { ...entry, data: expand(item, entry), compact: undefined };
  });
}

function outboxMap(entries: readonly OutboxEntry[]): Record<string, StoredEntry> {
  return Object.fromEntries(entries.map((entry) => [entry.id, stored(entry)]));
}

function toGatewayEvent(entry: EventEntry): GatewayEvent {
  return { id: entry.id, type: entry.type, merchantId: entry.merchantId, created: entry.created, data: entry.data };
}

function shardName(shard: number): string {
  return `pending-${shard}`;
}
