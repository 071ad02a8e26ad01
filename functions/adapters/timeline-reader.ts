/**
 * One transaction's events, oldest first, for the console's timeline. Events are indexed by merchant and id
 * (= time), not by transaction, so this reads the merchant's events recorded since the transaction was made
 * (a key condition) and keeps those about it (a filter). The read is capped: a transaction's timeline on a
 * very busy merchant may be cut short, and says so with `complete: false`.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { idBoundary } from '../core/ids.ts';
import { indexNames, ownerPartition } from './keys.ts';
import type { GatewayEvent } from './outbox.ts';

/** Items read at most per timeline: ten pages of the index. */
const MAX_PAGES = 10;
const PAGE_SIZE = 200;
/** Event ids are made after the change they record, but clocks of different functions may differ a little. */
const CLOCK_SKEW_MS = 60_000;

export class TimelineReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async eventsOf(merchantId: string, transactionId: string, createdAt: string): Promise<{ events: GatewayEvent[]; complete: boolean }> {
    const events: GatewayEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    let pages = 0;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexNames.byOwner,
          KeyConditionExpression: 'gsi1pk = :owner AND gsi1sk >= :from',
          FilterExpression: '#data.#txn = :txn',
          ExpressionAttributeNames: { '#data': 'data', '#txn': 'transaction_id' },
          ExpressionAttributeValues: {
            ':owner': ownerPartition.events(merchantId),
            ':from': idBoundary('event', Date.parse(createdAt) - CLOCK_SKEW_MS),
            ':txn': transactionId,
          },
          Limit: PAGE_SIZE,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        events.push({
          id: String(item.id),
          type: String(item.type),
          merchantId: String(item.merchantId),
          created: String(item.created),
          data: (item.data ?? {}) as Record<string, unknown>,
        });
      }
      startKey = page.LastEvaluatedKey;
      pages += 1;
    } while (startKey !== undefined && pages < MAX_PAGES);
    return { events, complete: startKey === undefined };
  }
}
