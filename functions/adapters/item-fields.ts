/**
 * Reading a record's fields back from its DynamoDB item, field by field, instead of casting the whole item:
 * attributes that are not the record's (keys, outbox, sealed data) cannot slip into it.
 */

/** The named attributes that hold a string; absent or non-string ones are left out. */
export function optionalStrings<Name extends string>(
  item: Record<string, unknown>,
  names: readonly Name[],
): Partial<Record<Name, string>> {
  const present: Partial<Record<Name, string>> = {};
  for (const name of names) {
    const value = item[name];
    if (typeof value === 'string') present[name] = value;
  }
  return present;
}

/** A list attribute's string elements; none when it is absent. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((element): element is string => typeof element === 'string') : [];
}

/** A map attribute's string values (metadata); empty when it is absent. */
export function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
