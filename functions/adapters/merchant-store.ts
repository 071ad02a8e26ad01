/**
 * Merchants and their API keys in DynamoDB. A key's item holds the SHA-256 of its secret, never the secret
 * (functions/merchants/secret-keys.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { NotFoundError, StateConflictError } from '../core/errors.ts';
import type { Merchant } from '../core/merchant.ts';
import type { TableProbe } from '../health/ports.ts';
import type { Merchants } from '../hosted/ports.ts';
import type { ActiveApiKeys, ApiKeyOwner, IssuedApiKey, MerchantAccounts, RevokedApiKey } from '../merchants/ports.ts';
import { generateSecretKey, hashSecret } from '../merchants/secret-keys.ts';
import { parseItem } from './item-schema.ts';
import { keys, ownerPartition } from './keys.ts';
import { findOwnedItem } from './owned-item.ts';

/** A merchant's item, as written and read: the one definition of its attributes. */
const merchantItem = z.object({
  merchant_id: z.string(),
  name: z.string(),
  email: z.string(),
  default_currency: z.string(),
  created_at: z.string(),
  /** Absent on merchants created before usage plans. */
  usage_plan_key: z.string().optional(),
});
type MerchantItem = z.infer<typeof merchantItem>;

/** An API key's item (besides its keys), as written and read. */
const apiKeyItem = z.object({
  key_id: z.string(),
  merchant_id: z.string(),
  created_at: z.string(),
  /** A copy of the merchant's; absent on keys issued before keys carried it. */
  usage_plan_key: z.string().optional(),
  revoked_at: z.string().optional(),
});
type ApiKeyItem = z.infer<typeof apiKeyItem>;

/** What the authorizer reads of a key, per request. */
const activeKeyProjection = apiKeyItem.pick({ key_id: true, merchant_id: true, revoked_at: true, usage_plan_key: true });
/** What a revocation reads of a key found by the owner index. */
const revocableKeyItem = z.object({ pk: z.string(), sk: z.string(), revoked_at: z.string().optional() });

export class MerchantStore implements MerchantAccounts, ActiveApiKeys, Merchants, TableProbe {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * The merchant and its first key. The key is written first: should the process die between the two
   * writes, what is left is a key nobody was ever shown for a merchant that does not exist, which is harmless.
   * A retry of the same request (same ids, see idempotency/execute-idempotently.ts) finds its own merchant and goes on.
   */
  async createMerchant(merchant: Merchant, keyId: string): Promise<{ merchant: Merchant; apiKey: IssuedApiKey }> {
    const apiKey = await this.createApiKey(merchant.merchantId, keyId, merchant.createdAt, merchant.usagePlanKey);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.merchant(merchant.merchantId), ...toMerchantItem(merchant) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { merchant, apiKey };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getMerchant(merchant.merchantId);
      const sameRequest =
        existing !== undefined &&
        existing.name === merchant.name &&
        existing.email === merchant.email &&
        existing.defaultCurrency === merchant.defaultCurrency;
      if (!sameRequest) throw new StateConflictError('merchant_exists', `Merchant '${merchant.merchantId}' exists already.`);
      return { merchant: existing, apiKey };
    }
  }

  /**
   * Throws unless the table answers a read: the health check's probe. It reads one small item by key, as
   * the authorizer does for every request, instead of DescribeTable, whose control-plane quota is low.
   */
  async checkReadable(): Promise<void> {
    await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.config('health') }));
  }

  /** The currency of a request that names none; 404 when the merchant does not exist. */
  async defaultCurrencyOf(merchantId: string): Promise<string> {
    const merchant = await this.getMerchant(merchantId);
    if (merchant === undefined) throw new NotFoundError('merchant', merchantId);
    return merchant.defaultCurrency;
  }

  async getMerchant(merchantId: string): Promise<Merchant | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.merchant(merchantId) }));
    if (Item === undefined) return undefined;
    return fromMerchantItem(parseItem(merchantItem, Item, 'merchant'));
  }

  /**
   * The merchant's usage plan key value. Read consistently: API Gateway caches the authorizer's answer, so
   * a stale miss right after the merchant is created would refuse its key on merchant routes for the TTL.
   */
  private async findUsagePlanKey(merchantId: string): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.merchant(merchantId),
        ConsistentRead: true,
        ProjectionExpression: 'usage_plan_key',
      }),
    );
    return Item === undefined ? undefined : parseItem(merchantItem.pick({ usage_plan_key: true }), Item, 'merchant').usage_plan_key;
  }

  /**
   * A new secret key for the merchant. The key's item carries a copy of the merchant's usage plan key (read
   * here unless the caller has it), so that the authorizer reads one item per request, not two.
   */
  async createApiKey(merchantId: string, keyId: string, createdAt: string, usagePlanKey?: string): Promise<IssuedApiKey> {
    const planKey = usagePlanKey ?? (await this.findUsagePlanKey(merchantId));
    const secret = generateSecretKey();
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.apiKey(hashSecret(secret)),
          ...({ key_id: keyId, merchant_id: merchantId, created_at: createdAt, usage_plan_key: planKey } satisfies ApiKeyItem),
          gsi1pk: ownerPartition.apiKeys(merchantId),
          gsi1sk: keyId,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { keyId, secret, createdAt };
  }

  /**
   * The owner of an active key, by the hash of its secret, with its merchant's usage plan key (one read); undefined
   * for an unknown or revoked key. Read consistently, so that a key works as soon as it is issued and
   * stops as soon as it is revoked.
   */
  async findActiveKey(secretHash: string): Promise<ApiKeyOwner | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.apiKey(secretHash),
        ConsistentRead: true,
        ProjectionExpression: 'key_id, merchant_id, revoked_at, usage_plan_key',
      }),
    );
    if (Item === undefined) return undefined;
    const key = parseItem(activeKeyProjection, Item, 'API key');
    if (key.revoked_at !== undefined) return undefined;
    const merchantId = key.merchant_id;
    // Keys issued before keys carried the copy fall back to the merchant's own item.
    const usagePlanKey = key.usage_plan_key ?? (await this.findUsagePlanKey(merchantId));
    return { keyId: key.key_id, merchantId, ...(usagePlanKey === undefined ? {} : { usagePlanKey }) };
  }

  /**
   * Revokes one of the merchant's keys; another merchant's key id is not found, as an unknown one is.
   * Revoking a revoked key again answers with the time of the first revocation.
   */
  async revokeApiKey(merchantId: string, keyId: string, revokedAt: string): Promise<RevokedApiKey> {
    const item = await findOwnedItem(this.db, this.tableName, {
      owner: ownerPartition.apiKeys(merchantId),
      id: keyId,
      schema: revocableKeyItem,
      what: 'API key',
    });
    if (item === undefined) throw new NotFoundError('API key', keyId, 'id');
    if (item.revoked_at !== undefined) return { keyId, revokedAt: item.revoked_at };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET revoked_at = :revokedAt',
          ConditionExpression: 'merchant_id = :merchantId AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':revokedAt': revokedAt, ':merchantId': merchantId },
        }),
      );
      return { keyId, revokedAt };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A concurrent revocation won: report its time.
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
      );
      const revokedAt = Item === undefined ? undefined : parseItem(apiKeyItem, Item, 'API key').revoked_at;
      if (revokedAt === undefined) throw new NotFoundError('API key', keyId, 'id');
      return { keyId, revokedAt };
    }
  }
}

function toMerchantItem(merchant: Merchant): MerchantItem {
  return {
    merchant_id: merchant.merchantId,
    name: merchant.name,
    email: merchant.email,
    default_currency: merchant.defaultCurrency,
    created_at: merchant.createdAt,
    usage_plan_key: merchant.usagePlanKey,
  };
}

function fromMerchantItem(item: MerchantItem): Merchant {
  return {
    merchantId: item.merchant_id,
    name: item.name,
    email: item.email,
    defaultCurrency: item.default_currency,
    createdAt: item.created_at,
    ...(item.usage_plan_key === undefined ? {} : { usagePlanKey: item.usage_plan_key }),
  };
}
