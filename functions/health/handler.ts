/**
 * GET /health: the API answers and its table can be read. A table that cannot be read is a 503, so a
 * load balancer or uptime check sees the outage; the error itself goes to the log, not to the caller.
 */
import type { HealthResponse } from '../contract/common.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { serviceUnavailable } from '../http/problem.ts';
import { defineRoute } from '../http/route.ts';
import { logger } from '../observability/logger.ts';
import type { TableProbe } from './ports.ts';
import { healthRoutes } from './routes.ts';

export interface HealthDependencies extends ApiPipelineDependencies {
  readonly table: TableProbe;
}

export function makeHealthHandler({ table, ...pipeline }: HealthDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(healthRoutes.getHealth, async () => {
        try {
          await table.checkReadable();
        } catch (error) {
          logger.warn('Health check: the table cannot be read', { error });
          throw serviceUnavailable('The table cannot be read.');
        }
        const body: HealthResponse = { status: 'ok', checks: { table: 'ok' } };
        return { status: 200, body };
      }),
    ],
    pipeline,
  );
}
