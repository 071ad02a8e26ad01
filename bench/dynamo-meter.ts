/**
 * Counts DynamoDB read and write units the functions consume, by asking for them: a middleware on the
 * functions' shared client (functions/adapters/dynamodb-client.ts) adds `ReturnConsumedCapacity: 'TOTAL'` to every
 * request and adds up the `ConsumedCapacity` that comes back. dynalite computes it from item sizes as
 * DynamoDB does for the table (1 WCU per KB written, 1 RCU per 4 KB read strongly, half for eventual).
 *
 * What dynalite leaves out, and this estimates: global secondary index writes. An index that projects the
 * whole item is written, at the item's size, by every write to an item that is (or was) in it. An index
 * that projects a few attributes (`projection` in lib/topology.ts) is written, at one unit, only when the
 * item enters or leaves it or one of its attributes changes. The meter tracks which items are in which
 * index from the writes it sees (`SET`/`REMOVE` of an index's key attribute), so it is exact for items
 * written while it is attached. A failed conditional write still
 * costs DynamoDB one write unit; dynalite returns no capacity for it, so the meter counts one.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const MIDDLEWARE_NAME = 'benchConsumedCapacity';

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

export interface CapacityTotals {
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Estimated (see the header): dynalite does not charge index writes. */
  readonly indexWriteUnits: number;
  readonly failedConditionalWrites: number;
  /** Requests that came back without ConsumedCapacity, counted as one unit each. */
  readonly unreported: number;
  /** Write units (table + index) by kind of item: the partition key up to its first `#`, e.g. `TXN`. */
  readonly writeUnitsByItemKind: Record<string, number>;
}

export interface CapacityMeter {
  totals(): CapacityTotals;
  detach(): void;
}

type Attributes = Record<string, unknown>;

/** An index as the meter needs it: its partition key attribute and, for a small projection, its attributes. */
export interface MeteredIndex {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection?: readonly string[];
}

/** Which indexes an item is in, by the presence of each index's partition key attribute. */
export class IndexMembership {
  private readonly items = new Map<string, Set<string>>();
  private readonly indexKeyAttributes: Readonly<Record<string, string>>;

  constructor(
    /** The table's partition and sort key attributes. */
    readonly keyAttributes: readonly [string, string],
    private readonly indexes: Readonly<Record<string, MeteredIndex>>,
  ) {
    this.indexKeyAttributes = Object.fromEntries(Object.entries(indexes).map(([name, index]) => [name, index.partitionKey]));
  }

  /** The index write units of a write whose table write cost `itemUnits`; records the item's membership after it. */
  applyWrite(command: string, input: Attributes, itemUnits: number): number {
    const key = itemKey(command === 'PutItemCommand' ? input.Item : input.Key, this.keyAttributes);
    if (key === undefined) return 0;
    const before = this.items.get(key) ?? new Set<string>();
    const after = this.membershipAfter(command, input, before);
    if (after.size === 0) this.items.delete(key);
    else this.items.set(key, after);
    const changed = command === 'UpdateItemCommand' ? assignedAttributes(input) : undefined;
    let units = 0;
    for (const name of new Set([...before, ...after])) {
      const index = this.indexes[name];
      if (index?.projection === undefined) {
        units += itemUnits;
        continue;
      }
      const own = [index.partitionKey, index.sortKey, ...index.projection];
      const touched =
        changed === undefined || before.has(name) !== after.has(name) || own.some((attribute) => changed.set.has(attribute) || changed.remove.has(attribute));
      if (touched) units += 1;
    }
    return units;
  }

  private membershipAfter(command: string, input: Attributes, before: ReadonlySet<string>): Set<string> {
    if (command === 'DeleteItemCommand') return new Set();
    if (command === 'PutItemCommand') {
      const item = isRecord(input.Item) ? input.Item : {};
      return new Set(Object.entries(this.indexKeyAttributes).filter(([, attribute]) => attribute in item).map(([index]) => index));
    }
    const { set, remove } = assignedAttributes(input);
    const after = new Set(before);
    for (const [index, attribute] of Object.entries(this.indexKeyAttributes)) {
      if (set.has(attribute)) after.add(index);
      if (remove.has(attribute)) after.delete(index);
    }
    return after;
  }
}

/** The top-level attributes an UpdateExpression sets and removes, with `#names` resolved. */
export function assignedAttributes(input: Attributes): { set: Set<string>; remove: Set<string> } {
  const expression = typeof input.UpdateExpression === 'string' ? input.UpdateExpression : '';
  const names = isRecord(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
  const resolve = (path: string): string => {
    const top = path.trim().split(/[.[]/)[0] ?? '';
    const resolved = names[top];
    return typeof resolved === 'string' ? resolved : top;
  };
  const clauses = new Map<string, string>();
  for (const match of expression.matchAll(/\b(SET|REMOVE|ADD|DELETE)\b([\s\S]*?)(?=\b(?:SET|REMOVE|ADD|DELETE)\b|$)/gi)) {
    clauses.set((match[1] ?? '').toUpperCase(), match[2] ?? '');
  }
  const set = new Set([...(clauses.get('SET') ?? '').matchAll(/([#\w][\w.[\]#]*)\s*=/g)].map((match) => resolve(match[1] ?? '')));
  for (const part of (clauses.get('ADD') ?? '').split(',')) if (part.trim() !== '') set.add(resolve(part.trim().split(/\s+/)[0] ?? ''));
  const remove = new Set(
    (clauses.get('REMOVE') ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map(resolve),
  );
  return { set, remove };
}

export function attachCapacityMeter(client: DynamoDBDocumentClient, membership: IndexMembership): CapacityMeter {
  let readUnits = 0;
  let writeUnits = 0;
  let indexWriteUnits = 0;
  let failedConditionalWrites = 0;
  let unreported = 0;
  const writeUnitsByItemKind: Record<string, number> = {};
  const charge = (input: Attributes, units: number): void => {
    const item = isRecord(input.Key) ? input.Key : isRecord(input.Item) ? input.Item : {};
    const kind = String(item[membership.keyAttributes[0]] ?? 'unknown').split('#')[0] ?? 'unknown';
    writeUnitsByItemKind[kind] = (writeUnitsByItemKind[kind] ?? 0) + units;
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const input = { ...(args.input as Attributes), ReturnConsumedCapacity: 'TOTAL' };
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next({ ...args, input });
      } catch (error) {
        if (WRITES.has(command) && error instanceof Error && error.name === 'ConditionalCheckFailedException') {
          failedConditionalWrites += 1;
          writeUnits += 1;
          charge(input, 1);
        }
        throw error;
      }
      const units = consumedUnits((result.output as Attributes).ConsumedCapacity);
      if (units === undefined) unreported += 1;
      if (READS.has(command)) readUnits += units ?? 1;
      if (WRITES.has(command)) {
        const indexUnits = membership.applyWrite(command, input, units ?? 1);
        writeUnits += units ?? 1;
        indexWriteUnits += indexUnits;
        charge(input, (units ?? 1) + indexUnits);
      }
      return result;
    },
    { step: 'initialize', name: MIDDLEWARE_NAME },
  );

  return {
    totals: () => ({ readUnits, writeUnits, indexWriteUnits, failedConditionalWrites, unreported, writeUnitsByItemKind: { ...writeUnitsByItemKind } }),
    detach: () => {
      client.middlewareStack.remove(MIDDLEWARE_NAME);
    },
  };
}

function consumedUnits(consumed: unknown): number | undefined {
  const entries = Array.isArray(consumed) ? consumed : [consumed];
  let total: number | undefined;
  for (const entry of entries) {
    if (isRecord(entry) && typeof entry.CapacityUnits === 'number') total = (total ?? 0) + entry.CapacityUnits;
  }
  return total;
}

function itemKey(item: unknown, [partitionKey, sortKey]: readonly [string, string]): string | undefined {
  if (!isRecord(item)) return undefined;
  return JSON.stringify([item[partitionKey], item[sortKey]]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
