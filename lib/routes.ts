/**
 * Every route, as its capability declares it (functions/<capability>/routes.ts), in the order openapi.yaml
 * lists them. Read by the CDK stack, the OpenAPI generator and the tests; never by a function, whose bundle
 * holds only the declarations of the routes it serves.
 */
import { customerRoutes } from '../functions/customers/routes.ts';
import { eventRoutes } from '../functions/events/routes.ts';
import { healthRoutes } from '../functions/health/routes.ts';
import { checkoutRoutes, consoleRoutes, pageRoutes, sessionRoutes, walletRoutes } from '../functions/hosted/routes.ts';
import { merchantRoutes } from '../functions/merchants/routes.ts';
import { orderRoutes } from '../functions/orders/routes.ts';
import { paymentRoutes, transactionRoutes } from '../functions/payments/routes.ts';
import { webhookEndpointRoutes } from '../functions/webhooks/routes.ts';
import type { RouteDeclaration } from '../functions/http/route-declaration.ts';
import type { FunctionName } from './topology.ts';

export const routes: readonly RouteDeclaration[] = [
  healthRoutes,
  merchantRoutes,
  paymentRoutes,
  transactionRoutes,
  customerRoutes,
  orderRoutes,
  eventRoutes,
  webhookEndpointRoutes,
  sessionRoutes,
  checkoutRoutes,
  walletRoutes,
  consoleRoutes,
  pageRoutes,
].flatMap((declared) => Object.values<RouteDeclaration>(declared));

/** The routes that a function serves, e.g. for the bundle of its entry. */
export function routesOf(fn: FunctionName): readonly RouteDeclaration[] {
  return routes.filter((route) => route.function === fn);
}
