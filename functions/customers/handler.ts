/**
 * The customers function: customers and their saved cards (POST /customers, GET /customers/{id},
 * POST /payment_methods, GET /customers/{id}/payment_methods, PUT /payment_methods, DELETE /payment_methods/{id}).
 * Thin: each route parses, calls a use case, and answers. Built from its ports (functions/wiring/customers.ts
 * gives the real ones), so a test hands in fakes.
 */
import { toPublicCustomer, toPublicPaymentMethod } from '../core/customer.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import {
  createCustomer,
  detachPaymentMethod,
  listPaymentMethods,
  requireCustomer,
  savePaymentMethod,
  setDefaultPaymentMethod,
  type SaveCardDeps,
} from './customers.ts';
import { customerRoutes } from './routes.ts';

/** The customers, the vault that seals a saved card (it can never open one), its fingerprints, and the clock. */
export interface CustomersDependencies extends SaveCardDeps, ApiPipelineDependencies {}

const idOf = (pathParameters: Readonly<Record<string, string>>): string => pathParameters.id ?? '';

export function makeCustomersHandler(deps: CustomersDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(customerRoutes.createCustomer, async (request) => {
        const customer = await createCustomer(deps, {
          merchantId: merchantOf(request).merchantId,
          body: request.body,
          newId: request.newId,
        });
        return { status: 201, body: toPublicCustomer(customer) };
      }),
      defineRoute(customerRoutes.getCustomer, async (request) => {
        const customer = await requireCustomer(deps, merchantOf(request).merchantId, idOf(request.pathParameters));
        return { status: 200, body: toPublicCustomer(customer) };
      }),
      defineRoute(customerRoutes.listPaymentMethods, async (request) => {
        const { merchantId } = merchantOf(request);
        const customerId = idOf(request.pathParameters);
        const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId, customer: customerId });
        const page = await listPaymentMethods(deps, merchantId, customerId, {
          limit: request.query.limit,
          ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
        });
        return pageResult(request.location, {
          items: page.paymentMethods.map((paymentMethod) => toPublicPaymentMethod(paymentMethod, page.customer)),
          nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, customer: customerId, after: page.lastId },
        });
      }),
      defineRoute(customerRoutes.savePaymentMethod, async (request) => {
        const { paymentMethod, customer } = await savePaymentMethod(deps, {
          merchantId: merchantOf(request).merchantId,
          body: request.body,
          newId: request.newId,
        });
        return { status: 201, body: toPublicPaymentMethod(paymentMethod, customer) };
      }),
      defineRoute(customerRoutes.setDefaultPaymentMethod, async (request) => {
        const customer = await setDefaultPaymentMethod(
          deps,
          merchantOf(request).merchantId,
          request.body.customer_id,
          request.body.payment_method_id,
        );
        return { status: 200, body: toPublicCustomer(customer) };
      }),
      defineRoute(customerRoutes.detachPaymentMethod, async (request) => {
        const { paymentMethod, customer } = await detachPaymentMethod(deps, merchantOf(request).merchantId, idOf(request.pathParameters));
        return { status: 200, body: toPublicPaymentMethod(paymentMethod, customer) };
      }),
    ],
    deps,
  );
}
