/**
 * The checkout function: the routes the hosted checkout page (pages/checkout.html) calls with its session
 * token (`Authorization: Bearer cs_...`). GET /checkout says what is being paid and how the latest payment
 * stands; POST /checkout/pay pays it with a typed card; DELETE /checkout ends the session.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { SessionStore, type Session } from '../adapters/session-store.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { AuthenticationError } from '../core/errors.ts';
import { requireCurrency } from '../core/money.ts';
import { type CheckoutView } from '../contract/sessions.ts';
import { activeSessionOf } from '../hosted/active-session.ts';
import { payCheckout } from '../hosted/pay-checkout.ts';
import { toCheckoutTransaction } from '../hosted/views.ts';
import { checkoutRoutes } from '../hosted/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, type ApiRequest } from '../http/route.ts';

const tableName = tableNameFromEnv();
const outbox = new OutboxStore(
  dynamoDocumentClient,
  tableName,
  new SqsQueueSender(sqsClient, queueUrlsFromEnv(['authorization', 'webhookFanout'])),
);
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const customers = new CustomerRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);
const merchants = new MerchantStore(dynamoDocumentClient, tableName);
const sessions = new SessionStore(dynamoDocumentClient, tableName);
const vault = cardVaultFromEnv();
const fingerprints = cardFingerprinterFromEnv();
const now = (): Date => new Date();

/** The caller's own checkout session, read fresh (its latest payment changes), refused once ended or expired. */
async function checkoutSessionOf(request: ApiRequest<unknown, unknown>): Promise<Session> {
  const session = await activeSessionOf(sessions, request, 'checkout_session', now());
  if (session.checkout === undefined) throw new AuthenticationError();
  return session;
}

async function viewOf(session: Session): Promise<CheckoutView> {
  const terms = session.checkout;
  if (terms === undefined) throw new AuthenticationError();
  const [merchant, payment] = await Promise.all([
    merchants.getMerchant(session.merchantId),
    session.transactionId === undefined ? undefined : transactions.getOwned(session.merchantId, session.transactionId),
  ]);
  return {
    session_id: session.id,
    merchant_name: merchant?.name ?? '',
    amount: terms.amount,
    currency: terms.currency,
    currency_exponent: requireCurrency(terms.currency).exponent,
    description: terms.description ?? null,
    order_id: terms.orderId ?? null,
    return_url: terms.returnUrl ?? null,
    expires_at: session.expiresAt,
    payment: payment === undefined ? null : toCheckoutTransaction(payment),
  };
}

export const handler = createApiHandler([
  defineRoute(checkoutRoutes.getCheckout, async (request) => ({ status: 200, body: await viewOf(await checkoutSessionOf(request)) })),
  defineRoute(checkoutRoutes.payCheckout, async (request) => {
    const session = await checkoutSessionOf(request);
    const transaction = await payCheckout(
      {
        transactions,
        vault,
        fingerprints,
        customers,
        orders,
        sessions,
        now,
        defaultCurrency: (id) => merchants.defaultCurrencyOf(id),
      },
      session,
      request.body,
      request.newId,
    );
    return { status: 201, body: toCheckoutTransaction(transaction) };
  }),
  defineRoute(checkoutRoutes.endOwnCheckoutSession, async (request) => {
    const session = await checkoutSessionOf(request);
    const ended = await sessions.end(session.merchantId, 'checkout', session.id);
    return { status: 200, body: { id: ended.id, ended: true, ended_at: ended.endedAt } };
  }),
], apiPipeline);
