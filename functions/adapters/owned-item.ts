/**
 * The lookup the stores make to act on one of a merchant's resources by its id alone (end a session, revoke
 * a key): the byOwner index holds the resource under the merchant's partition for its kind, sorted by id, so
 * another merchant's id is not found there, as an unknown one is not.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { parseItem } from './item-schema.ts';
import { indexNames, type ItemKey } from './keys.ts';

/** Which owned item to find, and how to read it. */
export interface OwnedItemLookup<Schema extends z.ZodObject> {
  /** The merchant's byOwner partition for the kind (see `ownerPartition`). */
  readonly owner: string;
  readonly id: string;
  /** What the item is read as; its fields are all that the query projects, and must include the item's key. */
  readonly schema: Schema & z.ZodType<ItemKey>;
  /** What the item is, for the error when it does not fit `schema`. */
  readonly what: string;
}

/**
 * The owned item with that id, read from the index (eventually consistent, one query): its key and the
 * fields `schema` names; undefined when the merchant has none by that id.
 */
export async function findOwnedItem<Schema extends z.ZodObject>(
  db: DynamoDBDocumentClient,
  tableName: string,
  lookup: OwnedItemLookup<Schema>,
): Promise<z.output<Schema> | undefined> {
  const { Items } = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: indexNames.byOwner,
      KeyConditionExpression: 'gsi1pk = :owner AND gsi1sk = :id',
      ExpressionAttributeValues: { ':owner': lookup.owner, ':id': lookup.id },
      ProjectionExpression: Object.keys(lookup.schema.shape).join(', '),
    }),
  );
  const found = Items?.[0];
  return found === undefined ? undefined : parseItem(lookup.schema, found, lookup.what);
}
