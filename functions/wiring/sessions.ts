/**
 * The sessions function: a merchant's server opens a hosted-page session (POST /checkout_sessions,
 * /portal_sessions, /console_sessions) and gets back the page URL with a short-lived token in its fragment;
 * it may end one early (DELETE .../{id}). The token's hash is all the table keeps.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { SessionStore, type SessionKind } from '../adapters/session-store.ts';
import { tableNameFromEnv } from '../config.ts';
import { NotFoundError } from '../core/errors.ts';
import { checkoutTermsOf, sessionResponseOf } from '../hosted/open-session.ts';
import { sessionRoutes } from '../hosted/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, merchantOf, type ApiRoute } from '../http/route.ts';
import type { RouteDeclaration } from '../http/route-declaration.ts';

const tableName = tableNameFromEnv();
// Reads customers and orders only: their repositories' outbox never publishes from here.
const readOnlyOutbox = new OutboxStore(dynamoDocumentClient, tableName, noQueues);
const customers = new CustomerRepository(dynamoDocumentClient, tableName, readOnlyOutbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, readOnlyOutbox);
const merchants = new MerchantStore(dynamoDocumentClient, tableName);
const sessions = new SessionStore(dynamoDocumentClient, tableName);

const defaultCurrency = (merchantId: string): Promise<string> => merchants.defaultCurrencyOf(merchantId);

function endRoute(kind: SessionKind, declaration: RouteDeclaration): ApiRoute {
  return defineRoute(declaration, async (request) => {
    const ended = await sessions.end(merchantOf(request).merchantId, kind, request.pathParameters.id ?? '');
    return { status: 200, body: { id: ended.id, ended: true, ended_at: ended.endedAt } };
  });
}

export const handler = createApiHandler([
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
], apiPipeline);
