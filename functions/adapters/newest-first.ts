/**
 * A list spread over several partitions (shards), read back as one list newest first: each shard is queried
 * newest first, a page at a time and only when its next item is needed, and the heads are merged by id
 * (ids are ULIDs, so the greatest id is the newest). A page boundary is one id, so the cursor of a merged
 * list is the last id handed out, whatever the shards: no repeat and no gap across pages.
 */

/** One page of one shard, newest first; `nextKey` is where its next page starts, absent after the last. */
export interface ShardPage<Item> {
  readonly items: readonly Item[];
  readonly nextKey: Record<string, unknown> | undefined;
}

export type ShardReader<Item> = (startKey: Record<string, unknown> | undefined) => Promise<ShardPage<Item>>;

interface ShardCursor<Item> {
  readonly read: ShardReader<Item>;
  buffer: Item[];
  nextKey: Record<string, unknown> | undefined;
  exhausted: boolean;
}

export class NewestFirstMerge<Item> {
  private readonly shards: ShardCursor<Item>[];

  constructor(
    readers: readonly ShardReader<Item>[],
    private readonly idOf: (item: Item) => string,
  ) {
    this.shards = readers.map((read) => ({ read, buffer: [], nextKey: undefined, exhausted: false }));
  }

  /** The next `count` items of the merged list (fewer when every shard has run out). */
  async take(count: number): Promise<Item[]> {
    const taken: Item[] = [];
    while (taken.length < count) {
      await Promise.all(this.shards.filter((shard) => shard.buffer.length === 0 && !shard.exhausted).map(fill));
      let newest: ShardCursor<Item> | undefined;
      for (const shard of this.shards) {
        const head = shard.buffer[0];
        if (head === undefined) continue;
        const newestHead = newest?.buffer[0];
        if (newestHead === undefined || this.idOf(head) > this.idOf(newestHead)) newest = shard;
      }
      const item = newest?.buffer.shift();
      if (item === undefined) break;
      taken.push(item);
    }
    return taken;
  }
}

async function fill<Item>(shard: ShardCursor<Item>): Promise<void> {
  // A page may come back empty with a next key (a filter removed all it read): read on.
  do {
    const page = await shard.read(shard.nextKey);
    shard.buffer.push(...page.items);
    shard.nextKey = page.nextKey;
    shard.exhausted = page.nextKey === undefined;
  } while (shard.buffer.length === 0 && !shard.exhausted);
}
