/** The merchants function: merchants and their keys in the table, enrolled in the usage plan the stack names (or the local stand-in). */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { usagePlanEnrollmentFromEnv } from '../adapters/usage-plan.ts';
import { tableNameFromEnv } from '../config.ts';
import { makeMerchantsHandler } from '../merchants/handler.ts';
import { apiPipeline } from './api-pipeline.ts';

export const handler = makeMerchantsHandler({
  accounts: new MerchantStore(dynamoDocumentClient, tableNameFromEnv()),
  usagePlan: usagePlanEnrollmentFromEnv(),
  now: () => new Date(),
  ...apiPipeline,
});
