/**
 * The orders function: POST /orders and GET /orders/{id}. Orders are paid through POST /payments with
 * `order_id`. Built from its ports (functions/wiring/orders.ts gives the real ones), so a test hands in fakes.
 */
import { toPublicOrder } from '../core/order.ts';
import type { Customers } from '../customers/ports.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import { createOrder, requireOrder } from './orders.ts';
import type { Orders } from './ports.ts';
import { orderRoutes } from './routes.ts';

export interface OrdersDependencies extends ApiPipelineDependencies {
  readonly orders: Orders;
  /** Where an order's `customer_id` is checked to be the merchant's. */
  readonly customers: Pick<Customers, 'getOwned'>;
  /** The merchant's default currency, for an order that names none. */
  readonly defaultCurrency: (merchantId: string) => Promise<string>;
  readonly now: () => Date;
}

export function makeOrdersHandler({ orders, customers, defaultCurrency, now, ...pipeline }: OrdersDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(orderRoutes.createOrder, async (request) => {
        const order = await createOrder(
          { orders, customers, defaultCurrency, now },
          { merchantId: merchantOf(request).merchantId, body: request.body, newId: request.newId },
        );
        return { status: 201, body: toPublicOrder(order) };
      }),
      defineRoute(orderRoutes.getOrder, async (request) => {
        const order = await requireOrder({ orders }, merchantOf(request).merchantId, request.pathParameters.id ?? '');
        return { status: 200, body: toPublicOrder(order) };
      }),
    ],
    pipeline,
  );
}
