/**
 * Counts the DynamoDB requests, read units and write units the functions cause, and where the write units
 * land: on which partition key of the table and of each index. A middleware on the functions' shared client
 * (functions/adapters/dynamodb-client.ts) adds `ReturnConsumedCapacity: 'TOTAL'` to every request, counts
 * the request by operation, and hands request and answer to a `CapacityLedger`, which is pure and tested on
 * its own. dynalite computes consumed capacity from item sizes as DynamoDB does for the table (1 WCU per KB
 * written, the larger of the old and new item for an update; 1 RCU per 4 KB read strongly, half for eventual).
 *
 * What dynalite leaves out, and this estimates:
 * - Global secondary index writes. The meter keeps, for every item it has seen written (or read whole), the
 *   values of the indexes' key attributes, learnt from what the writes set (`Item` of a put, `SET`/`REMOVE`
 *   of an update, `ExpressionAttributeValues` for the values), so that it knows which index partition each
 *   write lands on. An item is in an index when it has the index's partition and sort key attributes.
 *   Per index and write: entering or leaving the index is one index write, on the partition the item enters
 *   or leaves; a change of the item's index key is two (delete the old entry, put the new one: AWS, "Global
 *   secondary indexes", "Provisioned throughput considerations"); staying with the same key is one write for
 *   an index that projects the whole item (`projection` absent in lib/topology.ts), and for a small projection
 *   (`projection: [...]`, or `[]` for its keys only) one write only when the update sets or removes one of
 *   its projected attributes, nothing otherwise. A write to a whole-item index costs the item's units; to a
 *   small projection, one unit.
 * - Per-item units inside a BatchWriteItem or TransactWriteItems, where DynamoDB reports one total per
 *   table: a put is priced from its item's size (DynamoDB's sizing rule, `itemWriteUnits`); deletes, updates
 *   and condition checks share what is left of the reported total, at least the item's last known size. A
 *   transaction's table writes cost twice (prepare and commit); its index writes, made after the commit,
 *   once. Never less than the response reported.
 * - A failed conditional write still costs DynamoDB a write unit; dynalite returns no capacity for it, so
 *   the meter counts one, on the item's partition (for a cancelled transaction, one per item in it).
 *
 * What it cannot know: an item written before the meter was attached and not read whole since. Updates to
 * such items are counted (`unseenItemUpdates`), and their index writes counted only for the indexes whose
 * key the update sets.
 */
import { NumberValue, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const MIDDLEWARE_NAME = 'benchConsumedCapacity';

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const MULTI_WRITES = new Set(['BatchWriteItem', 'TransactWriteItems']);
/** Prepare and commit: DynamoDB charges a transaction's items twice. */
const TRANSACTION_UNIT_FACTOR = 2;
/** How many of the hottest partition keys `totals()` lists. */
const PARTITIONS_LISTED = 20;
/** The partition key value when a write set it to something the meter cannot evaluate (e.g. a function call). */
export const UNRESOLVED_KEY = '(value the meter could not resolve)';

type Attributes = Record<string, unknown>;

/** An index as the meter needs it: its key attributes and, for a small projection, its attributes. */
export interface MeteredIndex {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Absent: the whole item. Empty: keys only. */
  readonly projection?: readonly string[];
}

/** Write units that landed on one partition key: of the table (`where: 'table'`) or of the index named `where`. */
export interface PartitionUnits {
  readonly where: string;
  readonly key: string;
  readonly units: number;
}

export interface CapacityTotals {
  /** Every request the functions sent, by operation (`PutItem`, `BatchWriteItem`, ...), failed ones included. */
  readonly requestsByOperation: Record<string, number>;
  readonly readUnits: number;
  /** Table write units. */
  readonly writeUnits: number;
  /** Estimated (see the header): dynalite does not charge index writes. */
  readonly indexWriteUnits: number;
  readonly failedConditionalWrites: number;
  /** Requests that came back without ConsumedCapacity, counted as one unit each (or estimated, for batches). */
  readonly unreported: number;
  /** Write units (table + index) by kind of item: the partition key up to its first `#`, e.g. `TXN`. */
  readonly writeUnitsByItemKind: Record<string, number>;
  /** The partition keys (table and index) that took the most write units, most first. */
  readonly hottestPartitions: readonly PartitionUnits[];
  /** The partition key that took the most write units in the table, and in each index written. */
  readonly hottestByPlace: Record<string, PartitionUnits>;
  /** How many distinct partition keys (table and index) were written. */
  readonly partitionKeysWritten: number;
  /** Updates to items the meter had not seen before: their index writes may be undercounted. */
  readonly unseenItemUpdates: number;
}

export interface CapacityMeter {
  totals(): CapacityTotals;
  /** Starts the counts again from zero; what the meter knows of the items stays. */
  reset(): void;
  detach(): void;
}

/** One item's write, whatever request carried it. */
export type ItemWrite =
  | { readonly kind: 'put'; readonly item: Attributes }
  | { readonly kind: 'update'; readonly key: Attributes; readonly input: Attributes }
  | { readonly kind: 'delete'; readonly key: Attributes }
  /** A transaction's ConditionCheck: charged like a write, changes nothing. */
  | { readonly kind: 'check'; readonly key: Attributes };

/** What the meter knows of one item: the values of the index key attributes it has. */
interface ItemState {
  readonly attributes: Map<string, string>;
  /** False when the item was first met in an update: attributes it lacks here may exist. */
  readonly complete: boolean;
  /** Write units of the item as last seen, when known. */
  readonly units?: number;
}

interface IndexEntry {
  readonly partition: string;
  readonly sort: string | undefined;
}

/** Which index partition each item is in, learnt from the writes (and whole-item reads) the meter sees. */
export class IndexMembership {
  private readonly items = new Map<string, ItemState>();
  private readonly indexKeyAttributes: ReadonlySet<string>;

  constructor(
    /** The table's partition and sort key attributes. */
    readonly keyAttributes: readonly [string, string],
    private readonly indexes: Readonly<Record<string, MeteredIndex>>,
  ) {
    this.indexKeyAttributes = new Set(Object.values(indexes).flatMap((index) => [index.partitionKey, index.sortKey]));
  }

  /** The item's identity in the table, or undefined when the key lacks the table's key attributes. */
  itemKey(key: Attributes): string | undefined {
    const [partitionKey, sortKey] = this.keyAttributes;
    if (!(partitionKey in key)) return undefined;
    return JSON.stringify([keyValue(key[partitionKey]), keyValue(key[sortKey])]);
  }

  /** The table partition key value of an item or key. */
  partitionOf(key: Attributes): string {
    return keyValue(key[this.keyAttributes[0]]);
  }

  /** Write units of an item as last seen, when the meter knows them. */
  knownUnits(key: Attributes): number | undefined {
    const id = this.itemKey(key);
    return id === undefined ? undefined : this.items.get(id)?.units;
  }

  /**
   * The index writes of one item write whose table write cost `itemUnits` (per write, not doubled for a
   * transaction), by index partition; records what the item's index keys are after it.
   */
  applyWrite(write: ItemWrite, itemUnits: number): { readonly charges: PartitionUnits[]; readonly unseen: boolean } {
    if (write.kind === 'check') return { charges: [], unseen: false };
    const keySource = write.kind === 'put' ? write.item : write.key;
    const id = this.itemKey(keySource);
    if (id === undefined) return { charges: [], unseen: false };
    const known = this.items.get(id);
    const before: ItemState = known ?? { attributes: new Map(), complete: false };
    const unseen = known === undefined && write.kind === 'update';
    let after: ItemState;
    let touched: ReadonlySet<string> | undefined;
    if (write.kind === 'put') {
      after = { attributes: this.indexAttributesOf(write.item), complete: true, units: itemUnits };
    } else if (write.kind === 'delete') {
      after = { attributes: new Map(), complete: true };
    } else {
      const assignments = assignedAttributes(write.input);
      const attributes = new Map(before.attributes);
      for (const [name, value] of this.indexAttributesOf(write.key)) attributes.set(name, value);
      for (const name of assignments.remove) attributes.delete(name);
      for (const name of assignments.set) {
        if (!this.indexKeyAttributes.has(name)) continue;
        attributes.set(name, resolveAssignment(assignments.values.get(name), before.attributes.get(name)));
      }
      after = { attributes, complete: before.complete, units: itemUnits };
      touched = new Set([...assignments.set, ...assignments.remove]);
    }
    this.items.set(id, after);

    const charges: PartitionUnits[] = [];
    for (const [name, index] of Object.entries(this.indexes)) {
      const from = entryOf(index, before);
      const to = entryOf(index, after);
      const units = index.projection === undefined ? itemUnits : 1;
      if (from === undefined && to === undefined) continue;
      if (from === undefined || to === undefined) {
        charges.push({ where: name, key: (to ?? from ?? { partition: UNRESOLVED_KEY }).partition, units });
        continue;
      }
      // A key set to a value the meter cannot evaluate may have changed: counted as changed.
      const setUnresolved = [index.partitionKey, index.sortKey].some(
        (attribute) => touched?.has(attribute) === true && after.attributes.get(attribute) === UNRESOLVED_KEY,
      );
      const keyChanged = from.partition !== to.partition || from.sort !== to.sort || setUnresolved;
      if (keyChanged) {
        charges.push({ where: name, key: from.partition, units }, { where: name, key: to.partition, units });
        continue;
      }
      const projected = index.projection === undefined ? undefined : [...index.projection];
      const written = projected === undefined || touched === undefined || projected.some((attribute) => touched.has(attribute));
      if (written) charges.push({ where: name, key: to.partition, units });
    }
    return { charges, unseen };
  }

  /** An item read whole: what the meter did not know of it, it knows now. Writes it has seen take precedence. */
  learn(item: Attributes): void {
    const id = this.itemKey(item);
    if (id === undefined || this.items.has(id)) return;
    this.items.set(id, { attributes: this.indexAttributesOf(item), complete: true, units: itemWriteUnits(item) });
  }

  private indexAttributesOf(item: Attributes): Map<string, string> {
    const attributes = new Map<string, string>();
    for (const name of this.indexKeyAttributes) {
      if (item[name] !== undefined && item[name] !== null) attributes.set(name, keyValue(item[name]));
    }
    return attributes;
  }
}

function entryOf(index: MeteredIndex, state: ItemState): IndexEntry | undefined {
  const partition = state.attributes.get(index.partitionKey);
  if (partition === undefined) return undefined;
  const sort = state.attributes.get(index.sortKey);
  // An item is in an index only with both its keys; an item first met in an update may have the sort key unseen.
  if (sort === undefined && state.complete) return undefined;
  return { partition, sort };
}

function resolveAssignment(assigned: AssignedValue | undefined, previous: string | undefined): string {
  if (assigned === undefined || assigned.kind === 'unresolved') return UNRESOLVED_KEY;
  if (assigned.kind === 'ifNotExists') return previous ?? keyValue(assigned.value);
  return keyValue(assigned.value);
}

/** What an update assigns to a top-level attribute, as far as a meter can tell without the item. */
export type AssignedValue =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'ifNotExists'; readonly value: unknown }
  | { readonly kind: 'unresolved' };

/**
 * The top-level attributes an UpdateExpression sets (SET, ADD, DELETE) and removes, with `#names` resolved,
 * and for each attribute SET at the top level the value it gets: `:value`, `if_not_exists(itself, :value)`,
 * or unresolved (arithmetic, list_append, another attribute).
 */
export function assignedAttributes(input: Attributes): { set: Set<string>; remove: Set<string>; values: Map<string, AssignedValue> } {
  const expression = typeof input.UpdateExpression === 'string' ? input.UpdateExpression : '';
  const names = isRecord(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
  const placeholders = isRecord(input.ExpressionAttributeValues) ? input.ExpressionAttributeValues : {};
  const resolve = (path: string): string => {
    const top = path.trim().split(/[.[]/)[0] ?? '';
    const resolved = names[top];
    return typeof resolved === 'string' ? resolved : top;
  };
  const clauses = new Map<string, string>();
  const keywords = [...expression.matchAll(/(?<![\w:#.])(SET|REMOVE|ADD|DELETE)(?=\s)/gi)];
  keywords.forEach((match, position) => {
    const start = (match.index ?? 0) + (match[1] ?? '').length;
    const end = keywords[position + 1]?.index ?? expression.length;
    clauses.set((match[1] ?? '').toUpperCase(), expression.slice(start, end));
  });

  const set = new Set<string>();
  const values = new Map<string, AssignedValue>();
  for (const action of splitTopLevel(clauses.get('SET') ?? '')) {
    const equals = action.indexOf('=');
    if (equals < 0) continue;
    const path = action.slice(0, equals).trim();
    const attribute = resolve(path);
    set.add(attribute);
    if (/[.[]/.test(path)) continue;
    values.set(attribute, assignedValue(action.slice(equals + 1).trim(), attribute, resolve, placeholders));
  }
  for (const clause of ['ADD', 'DELETE']) {
    for (const action of splitTopLevel(clauses.get(clause) ?? '')) {
      const attribute = resolve(action.split(/\s+/)[0] ?? '');
      set.add(attribute);
      values.set(attribute, { kind: 'unresolved' });
    }
  }
  const remove = new Set(splitTopLevel(clauses.get('REMOVE') ?? '').map(resolve));
  return { set, remove, values };
}

function assignedValue(operand: string, attribute: string, resolve: (path: string) => string, placeholders: Attributes): AssignedValue {
  if (/^:\w+$/.test(operand) && operand in placeholders) return { kind: 'value', value: placeholders[operand] };
  const ifNotExists = /^if_not_exists\s*\(\s*([^,()]+?)\s*,\s*(:\w+)\s*\)$/i.exec(operand);
  if (ifNotExists !== null && resolve(ifNotExists[1] ?? '') === attribute && (ifNotExists[2] ?? '') in placeholders) {
    return { kind: 'ifNotExists', value: placeholders[ifNotExists[2] ?? ''] };
  }
  return { kind: 'unresolved' };
}

/** The comma-separated actions of one clause, commas inside function calls left alone. */
function splitTopLevel(clause: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of clause) {
    if (character === '(') depth += 1;
    if (character === ')') depth -= 1;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/**
 * DynamoDB's size of an item, in bytes, from its attributes as the document client takes them: attribute
 * names plus values (strings in UTF-8, numbers about one byte per two significant digits plus one,
 * lists and maps 3 bytes plus one per element).
 */
export function itemSize(item: Attributes): number {
  return Object.entries(item).reduce((total, [name, value]) => (value === undefined ? total : total + Buffer.byteLength(name) + valueSize(value)), 0);
}

/** Write units of writing this item: one per KB, at least one. */
export function itemWriteUnits(item: Attributes): number {
  return Math.max(1, Math.ceil(itemSize(item) / 1024));
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  // lib-dynamodb's NumberValue keeps a number too large for a JS number as its text.
  if (value instanceof NumberValue) return numberSize(value.value);
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce<number>((total, member) => total + valueSize(member), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((total, member) => total + 1 + valueSize(member), 0);
  if (isRecord(value)) {
    return 3 + Object.entries(value).reduce((total, [name, member]) => (member === undefined ? total : total + 1 + Buffer.byteLength(name) + valueSize(member)), 0);
  }
  return 0;
}

function numberSize(text: string): number {
  const negative = text.startsWith('-') ? 1 : 0;
  const digits = (text.replace(/^[-+]/, '').split(/e/i)[0] ?? '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length === 0 ? 1 : 1 + Math.ceil(digits.length / 2) + negative;
}

/**
 * The accounting, apart from any client: `record` one request with its answer (or its error), read the
 * totals. `attachCapacityMeter` feeds it from a live client.
 */
export class CapacityLedger {
  private requestsByOperation: Record<string, number> = {};
  private readUnits = 0;
  private writeUnits = 0;
  private indexWriteUnits = 0;
  private failedConditionalWrites = 0;
  private unreported = 0;
  private unseenItemUpdates = 0;
  private writeUnitsByItemKind: Record<string, number> = {};
  private partitions = new Map<string, { where: string; key: string; units: number }>();

  constructor(private readonly membership: IndexMembership) {}

  /** One request: its operation (`PutItem` or `PutItemCommand`), its input, and its output or error. */
  record(operation: string, input: Attributes, outcome: { readonly output: Attributes } | { readonly error: unknown }): void {
    const name = operation.replace(/Command$/, '');
    this.requestsByOperation[name] = (this.requestsByOperation[name] ?? 0) + 1;
    if ('error' in outcome) {
      this.recordFailure(name, input, outcome.error);
      return;
    }
    const output = outcome.output;
    const reported = consumedUnits(output.ConsumedCapacity);
    const pricedHere = READS.has(name) || SINGLE_WRITES.has(name) || MULTI_WRITES.has(name);
    if (reported === undefined && pricedHere) this.unreported += 1;
    if (READS.has(name)) {
      this.readUnits += reported ?? (name === 'TransactGetItems' ? TRANSACTION_UNIT_FACTOR * arrayOf(input.TransactItems).length : 1);
      this.learnFromRead(name, input, output);
    } else if (SINGLE_WRITES.has(name)) {
      const write = itemWriteOf(name, input);
      if (write !== undefined) this.chargeWrite(write, reported ?? 1, reported ?? 1);
    } else if (name === 'BatchWriteItem') {
      const writes = batchWritesOf(input, output).map((write) => ({ write, estimate: this.estimate(write, 1) }));
      const units = distribute(reported, writes.map(({ estimate }) => estimate));
      writes.forEach(({ write }, position) => this.chargeWrite(write.write, units[position] ?? 1, units[position] ?? 1));
    } else if (name === 'TransactWriteItems') {
      const writes = transactWritesOf(input).map((write) => ({ write, estimate: this.estimate(write, TRANSACTION_UNIT_FACTOR) }));
      const units = distribute(reported, writes.map(({ estimate }) => estimate));
      writes.forEach(({ write }, position) => {
        const tableUnits = units[position] ?? TRANSACTION_UNIT_FACTOR;
        this.chargeWrite(write.write, tableUnits, Math.max(1, Math.ceil(tableUnits / TRANSACTION_UNIT_FACTOR)));
      });
    }
  }

  totals(): CapacityTotals {
    const partitions = [...this.partitions.values()].sort(
      (a, b) => b.units - a.units || a.where.localeCompare(b.where) || a.key.localeCompare(b.key),
    );
    const hottestByPlace: Record<string, PartitionUnits> = {};
    for (const entry of partitions) hottestByPlace[entry.where] ??= { ...entry };
    return {
      requestsByOperation: { ...this.requestsByOperation },
      readUnits: this.readUnits,
      writeUnits: this.writeUnits,
      indexWriteUnits: this.indexWriteUnits,
      failedConditionalWrites: this.failedConditionalWrites,
      unreported: this.unreported,
      writeUnitsByItemKind: { ...this.writeUnitsByItemKind },
      hottestPartitions: partitions.slice(0, PARTITIONS_LISTED).map((entry) => ({ ...entry })),
      hottestByPlace,
      partitionKeysWritten: partitions.length,
      unseenItemUpdates: this.unseenItemUpdates,
    };
  }

  reset(): void {
    this.requestsByOperation = {};
    this.readUnits = 0;
    this.writeUnits = 0;
    this.indexWriteUnits = 0;
    this.failedConditionalWrites = 0;
    this.unreported = 0;
    this.unseenItemUpdates = 0;
    this.writeUnitsByItemKind = {};
    this.partitions = new Map();
  }

  private recordFailure(name: string, input: Attributes, error: unknown): void {
    const errorName = error instanceof Error ? error.name : isRecord(error) ? String(error.name) : '';
    if (SINGLE_WRITES.has(name) && errorName === 'ConditionalCheckFailedException') {
      const write = itemWriteOf(name, input);
      this.failedConditionalWrites += 1;
      if (write !== undefined) this.chargeTable(write, 1);
    }
    if (name === 'TransactWriteItems' && errorName === 'TransactionCanceledException') {
      this.failedConditionalWrites += 1;
      for (const { write } of transactWritesOf(input)) this.chargeTable(write, 1);
    }
  }

  /** A write's table units before the response's total is shared out, and whether they are exact. */
  private estimate(write: { readonly write: ItemWrite }, factor: number): { units: number; exact: boolean } {
    const item = write.write;
    if (item.kind === 'put') return { units: factor * itemWriteUnits(item.item), exact: true };
    return { units: factor * (this.membership.knownUnits(item.key) ?? 1), exact: false };
  }

  private chargeWrite(write: ItemWrite, tableUnits: number, indexItemUnits: number): void {
    this.chargeTable(write, tableUnits);
    const { charges, unseen } = this.membership.applyWrite(write, indexItemUnits);
    if (unseen) this.unseenItemUpdates += 1;
    let indexUnits = 0;
    for (const charge of charges) {
      this.chargePartition(charge.where, charge.key, charge.units);
      indexUnits += charge.units;
    }
    this.indexWriteUnits += indexUnits;
    this.chargeKind(write, indexUnits);
  }

  private chargeTable(write: ItemWrite, units: number): void {
    const key = write.kind === 'put' ? write.item : write.key;
    this.writeUnits += units;
    this.chargePartition('table', this.membership.partitionOf(key), units);
    this.chargeKind(write, units);
  }

  private chargeKind(write: ItemWrite, units: number): void {
    if (units === 0) return;
    const kind = this.membership.partitionOf(write.kind === 'put' ? write.item : write.key).split('#')[0] ?? 'unknown';
    this.writeUnitsByItemKind[kind] = (this.writeUnitsByItemKind[kind] ?? 0) + units;
  }

  private chargePartition(where: string, key: string, units: number): void {
    const id = JSON.stringify([where, key]);
    const entry = this.partitions.get(id);
    if (entry === undefined) this.partitions.set(id, { where, key, units });
    else entry.units += units;
  }

  private learnFromRead(name: string, input: Attributes, output: Attributes): void {
    const whole = (request: Attributes): boolean =>
      request.ProjectionExpression === undefined && request.AttributesToGet === undefined && request.IndexName === undefined && request.Select !== 'COUNT';
    const learn = (item: unknown): void => {
      if (isRecord(item)) this.membership.learn(item);
    };
    if (name === 'GetItem' && whole(input)) learn(output.Item);
    if ((name === 'Query' || name === 'Scan') && whole(input)) arrayOf(output.Items).forEach(learn);
    if (name === 'BatchGetItem' && isRecord(input.RequestItems) && isRecord(output.Responses)) {
      for (const [table, request] of Object.entries(input.RequestItems)) {
        if (isRecord(request) && whole(request)) arrayOf(output.Responses[table]).forEach(learn);
      }
    }
    if (name === 'TransactGetItems') {
      const requests = arrayOf(input.TransactItems);
      arrayOf(output.Responses).forEach((response, position) => {
        const get = requests[position];
        if (isRecord(get) && isRecord(get.Get) && whole(get.Get) && isRecord(response)) learn(response.Item);
      });
    }
  }
}

/** Shares a multi-item request's reported units out over its items; never less than reported, nor than estimated. */
export function distribute(reported: number | undefined, estimates: readonly { readonly units: number; readonly exact: boolean }[]): number[] {
  const estimated = estimates.reduce((total, estimate) => total + estimate.units, 0);
  const excess = Math.max(0, (reported ?? 0) - estimated);
  if (excess === 0 || estimated === 0) return estimates.map((estimate) => estimate.units);
  const inexact = estimates.filter((estimate) => !estimate.exact);
  if (inexact.length > 0) return estimates.map((estimate) => estimate.units + (estimate.exact ? 0 : excess / inexact.length));
  return estimates.map((estimate) => estimate.units + (excess * estimate.units) / estimated);
}

function itemWriteOf(operation: string, input: Attributes): ItemWrite | undefined {
  if (operation === 'PutItem' && isRecord(input.Item)) return { kind: 'put', item: input.Item };
  if (operation === 'UpdateItem' && isRecord(input.Key)) return { kind: 'update', key: input.Key, input };
  if (operation === 'DeleteItem' && isRecord(input.Key)) return { kind: 'delete', key: input.Key };
  return undefined;
}

/** The puts and deletes of a BatchWriteItem, without those it returned unprocessed (the caller sends them again). */
function batchWritesOf(input: Attributes, output: Attributes): { readonly write: ItemWrite }[] {
  const unprocessed = new Set<string>();
  for (const request of requestsOf(output.UnprocessedItems)) unprocessed.add(JSON.stringify(request));
  return requestsOf(input.RequestItems)
    .filter((request) => !unprocessed.has(JSON.stringify(request)))
    .flatMap((request): { write: ItemWrite }[] => {
      if (isRecord(request.PutRequest) && isRecord(request.PutRequest.Item)) return [{ write: { kind: 'put', item: request.PutRequest.Item } }];
      if (isRecord(request.DeleteRequest) && isRecord(request.DeleteRequest.Key)) return [{ write: { kind: 'delete', key: request.DeleteRequest.Key } }];
      return [];
    });
}

function requestsOf(requestItems: unknown): Attributes[] {
  if (!isRecord(requestItems)) return [];
  return Object.values(requestItems).flatMap((requests) => arrayOf(requests).filter(isRecord));
}

function transactWritesOf(input: Attributes): { readonly write: ItemWrite }[] {
  return arrayOf(input.TransactItems).flatMap((element): { write: ItemWrite }[] => {
    if (!isRecord(element)) return [];
    if (isRecord(element.Put) && isRecord(element.Put.Item)) return [{ write: { kind: 'put', item: element.Put.Item } }];
    if (isRecord(element.Update) && isRecord(element.Update.Key)) return [{ write: { kind: 'update', key: element.Update.Key, input: element.Update } }];
    if (isRecord(element.Delete) && isRecord(element.Delete.Key)) return [{ write: { kind: 'delete', key: element.Delete.Key } }];
    if (isRecord(element.ConditionCheck) && isRecord(element.ConditionCheck.Key)) return [{ write: { kind: 'check', key: element.ConditionCheck.Key } }];
    return [];
  });
}

export function attachCapacityMeter(client: DynamoDBDocumentClient, membership: IndexMembership): CapacityMeter {
  const ledger = new CapacityLedger(membership);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const input = { ...(args.input as Attributes), ReturnConsumedCapacity: 'TOTAL' };
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next({ ...args, input });
      } catch (error) {
        ledger.record(command, input, { error });
        throw error;
      }
      ledger.record(command, input, { output: isRecord(result.output) ? result.output : {} });
      return result;
    },
    { step: 'initialize', name: MIDDLEWARE_NAME },
  );
  return {
    totals: () => ledger.totals(),
    reset: () => ledger.reset(),
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

/** A key attribute's value as text: a string as is, a number in decimal, a marshalled `{ S }`/`{ N }` unwrapped. */
function keyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (isRecord(value)) {
    if (typeof value.S === 'string') return value.S;
    if (typeof value.N === 'string') return value.N;
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
