import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuthorizationLedger, AuthorizationResult } from '../core/processor.ts';
import { keys } from './keys.ts';

/**
 * The sandbox processor's memory of what it answered per reference, in the gateway's table, so that a
 * worker killed after the processor answered and then redelivered gets the same answer instead of a
 * second authorization — as a real acquirer dedupes on the reference it is given.
 */
export class DynamoAuthorizationLedger implements AuthorizationLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(reference: string): Promise<AuthorizationResult | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.authorization(reference), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : (Item.result as AuthorizationResult);
  }

  async record(reference: string, result: AuthorizationResult): Promise<AuthorizationResult> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.authorization(reference), result, recorded_at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return result;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const recorded = await this.find(reference);
      if (recorded === undefined) throw error;
      return recorded;
    }
  }
}
