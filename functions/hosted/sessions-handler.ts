/**
 * The sessions function: a merchant's server opens a hosted-page session (POST /checkout_sessions,
 * /portal_sessions, /console_sessions) and gets back the page URL with a short-lived token in its fragment;
 * it may end one early (DELETE .../{id}). The token's hash is all the table keeps. Built from its ports
 * (functions/wiring/sessions.ts gives the real ones), so a test hands in fakes.
 */
import { NotFoundError } from '../core/errors.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import type { RouteDeclaration } from '../http/route-declaration.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';
import { endSession } from './end-session.ts';
import { checkoutTermsOf, sessionResponseOf } from './open-session.ts';
import type { Customers } from '../customers/ports.ts';
import type { Orders } from '../orders/ports.ts';
import type { Merchants, Sessions } from './ports.ts';
import type { SessionKind } from './session.ts';
import { sessionRoutes } from './routes.ts';

export interface SessionsDependencies extends ApiPipelineDependencies {
  readonly sessions: Pick<Sessions, 'create' | 'end'>;
  /** Read only: a session names a customer or an order of the merchant, checked when it is opened. */
  readonly customers: Pick<Customers, 'getOwned'>;
  readonly orders: Orders;
  readonly merchants: Pick<Merchants, 'defaultCurrencyOf'>;
}

export function makeSessionsHandler({ sessions, customers, orders, merchants, ...pipeline }: SessionsDependencies): ApiHandler {
  const defaultCurrency = (merchantId: string): Promise<string> => merchants.defaultCurrencyOf(merchantId);
  const endRoute = (kind: SessionKind, declaration: RouteDeclaration): ApiRoute =>
    defineRoute(declaration, async (request) => ({
      status: 200,
      body: await endSession(sessions, { merchantId: merchantOf(request).merchantId, kind, id: request.pathParameters.id ?? '' }),
    }));

  return createApiHandler(
    [
      defineRoute(sessionRoutes.createCheckoutSession, async (request) => {
        const { merchantId } = merchantOf(request);
        const checkout = await checkoutTermsOf({ orders, customers, defaultCurrency }, merchantId, request.body);
        const issued = await sessions.create({
          id: request.newId('checkoutSession'),
          kind: 'checkout',
          merchantId,
          ...(checkout.customerId === undefined ? {} : { customerId: checkout.customerId }),
          checkout,
        });
        return { status: 201, body: sessionResponseOf(issued, request.location) };
      }),
      endRoute('checkout', sessionRoutes.endCheckoutSession),
      defineRoute(sessionRoutes.createPortalSession, async (request) => {
        const { merchantId } = merchantOf(request);
        const customerId = request.body.customer_id;
        if ((await customers.getOwned(merchantId, customerId)) === undefined) throw new NotFoundError('customer', customerId, 'customer_id');
        const issued = await sessions.create({ id: request.newId('portalSession'), kind: 'portal', merchantId, customerId });
        return { status: 201, body: sessionResponseOf(issued, request.location) };
      }),
      endRoute('portal', sessionRoutes.endPortalSession),
      defineRoute(sessionRoutes.createConsoleSession, async (request) => {
        const issued = await sessions.create({ id: request.newId('consoleSession'), kind: 'console', merchantId: merchantOf(request).merchantId });
        return { status: 201, body: sessionResponseOf(issued, request.location) };
      }),
      endRoute('console', sessionRoutes.endConsoleSession),
    ],
    pipeline,
  );
}
