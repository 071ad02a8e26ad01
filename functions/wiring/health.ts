/** The health function: its table probe is the merchant store's read of the table. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeHealthHandler } from '../health/handler.ts';
import { apiPipeline } from './api-pipeline.ts';

export const handler = makeHealthHandler({ table: new MerchantStore(dynamoDocumentClient, tableNameFromEnv()), ...apiPipeline });
