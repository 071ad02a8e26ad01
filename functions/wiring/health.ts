/**
 * GET /health: the API answers and its table can be read. A table that cannot be read is a 503, so a
 * load balancer or uptime check sees the outage; the error itself goes to the log, not to the caller.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { tableNameFromEnv } from '../config.ts';
import type { HealthResponse } from '../contract/common.ts';
import { healthRoutes as healthRoutesDeclared } from '../health/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { serviceUnavailable } from '../http/problem.ts';
import { defineRoute, type ApiRoute } from '../http/route.ts';
import { logger } from '../observability/logger.ts';

export function healthRoutes(store: Pick<MerchantStore, 'checkReadable'>): ApiRoute[] {
  return [
    defineRoute(healthRoutesDeclared.getHealth, async () => {
      try {
        await store.checkReadable();
      } catch (error) {
        logger.warn('Health check: the table cannot be read', { error });
        throw serviceUnavailable('The table cannot be read.');
      }
      const body: HealthResponse = { status: 'ok', checks: { table: 'ok' } };
      return { status: 200, body };
    }),
  ];
}

export const handler = createApiHandler(healthRoutes(new MerchantStore(dynamoDocumentClient, tableNameFromEnv())), apiPipeline);
