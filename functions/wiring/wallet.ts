/**
 * The wallet function: the routes the hosted wallet page (pages/wallet.html) calls with a portal session
 * token (`Authorization: Bearer ps_...`). Everything is scoped to the session's one customer: a card id of
 * another customer is not found, exactly like an unknown one. Reuses the customer use cases behind
 * /customers and /payment_methods (functions/customers/customers.ts).
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { SessionStore } from '../adapters/session-store.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { AuthenticationError, NotFoundError } from '../core/errors.ts';
import { type WalletView } from '../contract/sessions.ts';
import {
  detachPaymentMethod,
  listPaymentMethods,
  requireCustomer,
  savePaymentMethod,
  setDefaultPaymentMethod,
} from '../customers/customers.ts';
import { activeSessionOf } from '../hosted/active-session.ts';
import { toPageTransaction, toWalletCard } from '../hosted/views.ts';
import { walletRoutes } from '../hosted/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, type ApiRequest } from '../http/route.ts';

const tableName = tableNameFromEnv();
// Card changes cause events only: this outbox sends only to the webhook fan-out.
const outbox = new OutboxStore(dynamoDocumentClient, tableName, new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookFanout'])));
const customers = new CustomerRepository(dynamoDocumentClient, tableName, outbox);
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const sessions = new SessionStore(dynamoDocumentClient, tableName);
const vault = cardVaultFromEnv();
const fingerprints = cardFingerprinterFromEnv();
const now = (): Date => new Date();
const deps = { customers, now };

/** A wallet holds at most this many cards on one page: the page shows them all. */
const WALLET_CARD_LIMIT = 100;

interface WalletOwner {
  readonly merchantId: string;
  readonly customerId: string;
  readonly sessionId: string;
  readonly expiresAt: string;
}

/** The session's customer, from the session read fresh: refused once it is ended or expired. */
async function ownerOf(request: ApiRequest<unknown, unknown>): Promise<WalletOwner> {
  const session = await activeSessionOf(sessions, request, 'portal_session', now());
  if (session.customerId === undefined) throw new AuthenticationError();
  return { merchantId: session.merchantId, customerId: session.customerId, sessionId: session.id, expiresAt: session.expiresAt };
}

async function walletOf(owner: WalletOwner): Promise<WalletView> {
  const page = await listPaymentMethods(deps, owner.merchantId, owner.customerId, { limit: WALLET_CARD_LIMIT });
  return {
    customer_id: page.customer.id,
    name: page.customer.name ?? null,
    email: page.customer.email ?? null,
    expires_at: owner.expiresAt,
    cards: page.paymentMethods.map((paymentMethod) => toWalletCard(paymentMethod, page.customer)),
  };
}

/** The card, if it is this customer's; another customer's card is as unknown as a missing one. */
async function requireOwnCard(owner: WalletOwner, paymentMethodId: string): Promise<void> {
  const stored = await customers.getOwnedPaymentMethod(owner.merchantId, paymentMethodId);
  if (stored === undefined || stored.paymentMethod.customerId !== owner.customerId) {
    throw new NotFoundError('payment method', paymentMethodId, 'payment_method_id');
  }
}

export const handler = createApiHandler([
  defineRoute(walletRoutes.getWallet, async (request) => {
    const owner = await ownerOf(request);
    return { status: 200, body: await walletOf(owner) };
  }),
  defineRoute(walletRoutes.addWalletCard, async (request) => {
    const owner = await ownerOf(request);
    const { paymentMethod, customer } = await savePaymentMethod(
      { ...deps, vault, fingerprints },
      { merchantId: owner.merchantId, body: { ...request.body, customer_id: owner.customerId }, newId: request.newId },
    );
    return { status: 201, body: toWalletCard(paymentMethod, customer) };
  }),
  defineRoute(walletRoutes.setWalletDefaultCard, async (request) => {
    const owner = await ownerOf(request);
    await requireOwnCard(owner, request.body.payment_method_id);
    await setDefaultPaymentMethod(deps, owner.merchantId, owner.customerId, request.body.payment_method_id);
    return { status: 200, body: await walletOf(owner) };
  }),
  defineRoute(walletRoutes.removeWalletCard, async (request) => {
    const owner = await ownerOf(request);
    const id = request.pathParameters.id ?? '';
    await requireOwnCard(owner, id);
    await detachPaymentMethod(deps, owner.merchantId, id);
    return { status: 200, body: await walletOf(owner) };
  }),
  defineRoute(walletRoutes.listWalletTransactions, async (request) => {
    const owner = await ownerOf(request);
    await requireCustomer(deps, owner.merchantId, owner.customerId);
    const page = await transactions.list({ merchantId: owner.merchantId, customerId: owner.customerId, limit: request.query.limit });
    return { status: 200, body: page.transactions.map(toPageTransaction) };
  }),
  defineRoute(walletRoutes.endOwnPortalSession, async (request) => {
    const owner = await ownerOf(request);
    const ended = await sessions.end(owner.merchantId, 'portal', owner.sessionId);
    return { status: 200, body: { id: ended.id, ended: true, ended_at: ended.endedAt } };
  }),
], apiPipeline);
