/**
 * Items read from the table are parsed at the repository boundary, as every other input is: an item of an
 * older or broken shape fails here, loudly, instead of becoming a record with missing or mistyped fields.
 */
import type * as z from 'zod';
// Named imports, not `z.core.…`: reading the `core` namespace would bundle all of it (locales included), 400 KB.
import {
  $ZodArray,
  $ZodCatch,
  $ZodDefault,
  $ZodNonOptional,
  $ZodNullable,
  $ZodObject,
  $ZodOptional,
  $ZodPipe,
  $ZodPrefault,
  $ZodReadonly,
  $ZodRecord,
  type $ZodIssue,
  type $ZodType,
} from 'zod/v4/core';

/** Failing paths a message names at most: enough to find the fault, bounded for a log line. */
const MAX_PATHS_NAMED = 10;

/**
 * A stored item does not have the shape this code reads. Not a `GatewayError`: nothing the caller sent is
 * at fault, so it is a server error (500). Its message names the kind of item and the failing field paths
 * with what was expected there, never a value: a value may be a card fingerprint or sealed data.
 */
export class StoredItemShapeError extends Error {
  constructor(
    /** What the item is, e.g. `transaction`. */
    readonly itemKind: string,
    /** The failing field paths, e.g. `card.fingerprint`; `(item)` for the item as a whole. */
    readonly paths: readonly string[],
    problems: readonly string[],
  ) {
    const named = problems.slice(0, MAX_PATHS_NAMED).join('; ');
    const more = problems.length > MAX_PATHS_NAMED ? `; and ${problems.length - MAX_PATHS_NAMED} more` : '';
    super(`A stored ${itemKind} item does not have the expected shape: ${named}${more}`);
    this.name = new.target.name;
  }
}

/** The item as `schema` reads it; throws {@link StoredItemShapeError} when it does not fit. */
export function parseItem<Schema extends z.ZodType>(schema: Schema, item: unknown, what: string): z.output<Schema> {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const paths = parsed.error.issues.map((issue) => pathOf(schema, issue.path));
  // Built from the issue's code and its expectation only: zod's own messages may quote the input.
  const problems = parsed.error.issues.map((issue, i) => `${paths[i]} (${expectationOf(issue)})`);
  throw new StoredItemShapeError(what, paths, problems);
}

/**
 * A read schema for items that hold a `Record` the domain defines (a transaction, a customer...), checked
 * against it at compile time both ways: its output is a `Record`, and it names every field of one, so that a
 * field added to the record but not here fails to compile instead of being dropped on every read.
 */
export function itemSchemaOf<Record>() {
  return <Schema extends z.ZodType<Record>>(schema: Schema & EveryFieldOf<Schema, Record>): Schema => schema;
}

type EveryFieldOf<Schema extends z.ZodType, Record> = [Exclude<keyof Record, keyof z.output<Schema>>] extends [never]
  ? unknown
  : { readonly fieldsNotRead: Exclude<keyof Record, keyof z.output<Schema>> };

/**
 * An issue's path as a message may show it: the field names the schema declares, array indexes as they are,
 * and `*` for a key of a record (`metadata.*`): those keys are data (a merchant's metadata key, a header
 * name), not names of this code, so they are no more printed than values are. A segment the schema cannot
 * account for is shown as `*` too.
 */
function pathOf(schema: $ZodType, path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(item)';
  const shown: string[] = [];
  let at: $ZodType | undefined = schema;
  for (const segment of path) {
    at = at === undefined ? undefined : unwrapped(at);
    if (at instanceof $ZodRecord) {
      shown.push('*');
      at = at._zod.def.valueType;
    } else if (at instanceof $ZodObject && typeof segment === 'string' && Object.hasOwn(at._zod.def.shape, segment)) {
      shown.push(segment);
      at = at._zod.def.shape[segment];
    } else if (at instanceof $ZodArray && typeof segment === 'number') {
      shown.push(String(segment));
      at = at._zod.def.element;
    } else {
      shown.push(typeof segment === 'number' ? String(segment) : '*');
      at = undefined;
    }
  }
  return shown.join('.');
}

/** The schema that reads the value under a wrapper (optional, default, a transform's input...). */
function unwrapped(schema: $ZodType): $ZodType {
  let at = schema;
  for (;;) {
    if (
      at instanceof $ZodOptional ||
      at instanceof $ZodNullable ||
      at instanceof $ZodDefault ||
      at instanceof $ZodPrefault ||
      at instanceof $ZodNonOptional ||
      at instanceof $ZodReadonly ||
      at instanceof $ZodCatch
    ) {
      at = at._zod.def.innerType;
    } else if (at instanceof $ZodPipe) {
      at = at._zod.def.in;
    } else {
      return at;
    }
  }
}

function expectationOf(issue: $ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return 'not one of the expected values';
    default:
      return issue.code;
  }
}
