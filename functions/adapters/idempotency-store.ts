/**
 * Idempotency records: one item per (scope, Idempotency-Key), kept 24 hours. The record is reserved
 * before the request runs, holds a lock while it runs, and keeps the response once it is done (sealed
 * when it holds a secret: functions/idempotency/sealed-responses.ts). It implements the idempotency port
 * (functions/idempotency/ports.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { IdempotencyRecord, IdempotencyRecords, IdempotencyScope, StoredResponse } from '../idempotency/ports.ts';
import { itemSchemaOf, parseItem } from './item-schema.ts';
import { keys } from './keys.ts';

export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;

const storedResponse = itemSchemaOf<StoredResponse>()(
  z.object({
    status: z.number().int(),
    body: z.string(),
    headers: z.record(z.string(), z.string()),
    sealed: z.literal(true).optional(),
  }),
);

/** The record as its item holds it; the item's keys and TTL are left out. */
const storedRecord = itemSchemaOf<IdempotencyRecord>()(
  z.object({
    requestHash: z.string(),
    state: z.enum(['in_progress', 'complete']),
    lockedUntil: z.number().int(),
    seed: z.string(),
    response: storedResponse.optional(),
  }),
);

export class IdempotencyStore implements IdempotencyRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Reserves the key for a new request, or returns the record that holds it. */
  async reserve(
    scope: IdempotencyScope,
    record: Omit<IdempotencyRecord, 'state' | 'response'>,
    now: number,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord | undefined }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.idempotency(scope.merchantId, scope.key),
            ...record,
            state: 'in_progress',
            expires_at: Math.floor(now / 1000) + IDEMPOTENCY_RETENTION_SECONDS,
          },
          // An expired record counts as absent whether or not TTL has deleted it yet.
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :nowSeconds',
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { reserved: false, existing: await this.get(scope) };
    }
  }

  async get(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.idempotency(scope.merchantId, scope.key),
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : parseItem(storedRecord, Item, 'idempotency record');
  }

  /** Takes over a record whose holder's lock ran out (it died); false if another retry took it first. */
  async takeOver(scope: IdempotencyScope, stale: IdempotencyRecord, lockedUntil: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.idempotency(scope.merchantId, scope.key),
          UpdateExpression: 'SET lockedUntil = :lockedUntil',
          ConditionExpression: '#state = :inProgress AND lockedUntil = :stale',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':lockedUntil': lockedUntil, ':stale': stale.lockedUntil, ':inProgress': 'in_progress' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async complete(scope: IdempotencyScope, seed: string, response: StoredResponse): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(scope.merchantId, scope.key),
        UpdateExpression: 'SET #state = :complete, #response = :response',
        ConditionExpression: 'seed = :seed',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
        ExpressionAttributeValues: { ':complete': 'complete', ':response': response, ':seed': seed },
      }),
    );
  }

  /** Frees the key after a request that failed without a result worth replaying. */
  async release(scope: IdempotencyScope, seed: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.idempotency(scope.merchantId, scope.key),
          ConditionExpression: 'seed = :seed AND #state = :inProgress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':seed': seed, ':inProgress': 'in_progress' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
