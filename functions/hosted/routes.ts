/**
 * The hosted pages' routes: the merchant opens and ends sessions with its secret key (the sessions function);
 * each page calls its own session routes with the session token (checkout, wallet, console); the page files
 * are public (pages).
 */
import * as z from 'zod';
import {
  addWalletCardBody,
  checkoutViewSchema,
  consoleTransactionSchema,
  consoleTransactionsQuery,
  createCheckoutSessionBody,
  createConsoleSessionBody,
  createPortalSessionBody,
  endedSessionResponse,
  pageTransactionSchema,
  payCheckoutBody,
  sessionResponse,
  setWalletDefaultBody,
  walletCardSchema,
  walletTransactionsQuery,
  walletViewSchema,
} from '../contract/sessions.ts';
import type { FunctionName, RouteAuth } from '../../lib/topology.ts';
import { transactionIdParameter } from '../payments/routes.ts';
import {
  cardRefusals,
  declareRoutes,
  invalidCurrency,
  invalidNewAmount,
  notFound,
  type ErrorCase,
  type RouteDeclaration,
} from '../http/route-declaration.ts';

const hostedTag = {
  name: 'Hosted pages',
  description:
    'Checkout, wallet and console pages served by the gateway. Your server opens a short-lived session with its secret key; ' +
    'the page calls the session routes with the session token (`Authorization: Bearer cs_...`, `ps_...`, `cons_...`), never your key.',
};

type Declared = Omit<RouteDeclaration, 'operationId'>;

/** Without its body schema, which each session kind adds itself so that its handler sees the body's type. */
function openSession(kind: string, what: string, errors: readonly ErrorCase[]): Omit<Declared, 'body'> {
  return {
    method: 'POST',
    path: `/${kind}_sessions`,
    function: 'sessions',
    auth: 'merchant',
    summary: `Open ${what}`,
    description:
      'Answers the page URL with a 30-minute session token in its fragment (`#token=...`): send the customer ' +
      "(or yourself) there. The token is in this answer only; it acts for your account on that page's routes alone.",
    tag: hostedTag,
    success: { status: 201, description: 'The session and its page URL.', schema: sessionResponse },
    errors,
    secretInResponse: true,
  };
}

function endSession(kind: string): Declared {
  return {
    method: 'DELETE',
    path: `/${kind}_sessions/{id}`,
    function: 'sessions',
    auth: 'merchant',
    summary: `End a ${kind} session`,
    description: 'Its token stops working at once (401). Ending an ended session again answers the same.',
    tag: hostedTag,
    pathParameters: { id: 'The session: `chk_...`, `ptl_...` or `csl_...`.' },
    success: { status: 200, description: 'The session is ended.', schema: endedSessionResponse },
    errors: [notFound(`${kind} session`, 'id')],
  };
}

function endOwnSession(path: string, fn: FunctionName, auth: RouteAuth, page: string): Declared {
  return {
    method: 'DELETE',
    path,
    function: fn,
    auth,
    summary: `End the ${page}'s own session (log out)`,
    tag: hostedTag,
    success: { status: 200, description: 'The session is ended.', schema: endedSessionResponse },
  };
}

function page(path: string, summary: string): Declared {
  return {
    method: 'GET',
    path,
    function: 'pages',
    auth: 'none',
    summary,
    description: 'A static file, public: what it shows comes only through the session routes.',
    tag: hostedTag,
    success: { status: 200, description: 'The page.', schema: z.string(), mediaType: 'text/html' },
  };
}

export const sessionRoutes = declareRoutes({
  createCheckoutSession: {
    ...openSession('checkout', 'a checkout page that pays one order or amount', [
      invalidCurrency('currency'),
      invalidNewAmount,
      { status: 400, code: 'parameter_missing', when: 'Neither `order_id` nor `amount` is given.' },
      { status: 400, code: 'parameter_invalid', when: '`order_id` with `amount` or `currency`: the order sets them.' },
      { status: 400, code: 'order_customer_mismatch', when: "`customer_id` is not the order's customer." },
      notFound('order', 'order_id'),
      notFound('customer', 'customer_id'),
      { status: 409, code: 'order_already_paid', when: 'The order is paid already.' },
    ]),
    body: createCheckoutSessionBody,
  },
  endCheckoutSession: endSession('checkout'),
  createPortalSession: {
    ...openSession('portal', "a wallet page for one customer's saved cards", [notFound('customer', 'customer_id')]),
    body: createPortalSessionBody,
  },
  endPortalSession: endSession('portal'),
  createConsoleSession: {
    ...openSession('console', "a console page of the merchant's transactions", []),
    body: createConsoleSessionBody,
  },
  endConsoleSession: endSession('console'),
});

export const checkoutRoutes = declareRoutes({
  getCheckout: {
    method: 'GET',
    path: '/checkout',
    function: 'checkout',
    auth: 'checkout_session',
    summary: 'What the checkout charges, and its latest payment',
    tag: hostedTag,
    success: { status: 200, description: 'The checkout.', schema: checkoutViewSchema },
  },
  payCheckout: {
    method: 'POST',
    path: '/checkout/pay',
    function: 'checkout',
    auth: 'checkout_session',
    summary: 'Pay the checkout with a card',
    description:
      'Runs the same checks and use case as POST /payments, for the amount the session fixed. Answers at once with ' +
      'the `pending` payment; follow it with GET /checkout. A declined or failed payment may be followed by another.',
    tag: hostedTag,
    body: payCheckoutBody,
    success: { status: 201, description: 'The payment, `pending`.', schema: pageTransactionSchema },
    errors: [
      ...cardRefusals,
      { status: 409, code: 'checkout_already_paid', when: 'The checkout has a payment that is under way or succeeded.' },
      {
        status: 409,
        code: 'checkout_payment_in_progress',
        when: 'Another payment for this checkout is being made (or was made at the same moment); follow it with GET /checkout.',
      },
      { status: 409, code: 'checkout_attempts_exhausted', when: 'The checkout has had its 5 payment attempts; it needs a new link.' },
      { status: 409, code: 'order_already_paid', when: "The checkout's order is paid already." },
      { status: 409, code: 'order_payment_in_progress', when: "Another payment for the checkout's order is under way." },
    ],
  },
  endOwnCheckoutSession: endOwnSession('/checkout', 'checkout', 'checkout_session', 'checkout'),
});

export const walletRoutes = declareRoutes({
  getWallet: {
    method: 'GET',
    path: '/wallet',
    function: 'wallet',
    auth: 'portal_session',
    summary: "The session's customer and their saved cards",
    tag: hostedTag,
    success: { status: 200, description: 'The wallet.', schema: walletViewSchema },
  },
  addWalletCard: {
    method: 'POST',
    path: '/wallet/payment_methods',
    function: 'wallet',
    auth: 'portal_session',
    summary: 'Save a card for the customer',
    tag: hostedTag,
    body: addWalletCardBody,
    success: { status: 201, description: 'The saved card: brand, last4 and expiry only.', schema: walletCardSchema },
    errors: cardRefusals,
  },
  setWalletDefaultCard: {
    method: 'PUT',
    path: '/wallet/default_payment_method',
    function: 'wallet',
    auth: 'portal_session',
    summary: "Make one of the customer's cards the default",
    tag: hostedTag,
    body: setWalletDefaultBody,
    success: { status: 200, description: 'The wallet after the change.', schema: walletViewSchema },
    errors: [notFound('payment method', 'payment_method_id')],
  },
  removeWalletCard: {
    method: 'DELETE',
    path: '/wallet/payment_methods/{id}',
    function: 'wallet',
    auth: 'portal_session',
    summary: "Remove one of the customer's cards",
    tag: hostedTag,
    pathParameters: { id: 'The card, `pm_...`.' },
    success: { status: 200, description: 'The wallet after the change.', schema: walletViewSchema },
    errors: [notFound('payment method', 'payment_method_id')],
  },
  listWalletTransactions: {
    method: 'GET',
    path: '/wallet/transactions',
    function: 'wallet',
    auth: 'portal_session',
    summary: "The customer's recent payments, newest first",
    tag: hostedTag,
    query: walletTransactionsQuery,
    success: { status: 200, description: 'The newest payments.', schema: z.array(pageTransactionSchema) },
  },
  endOwnPortalSession: endOwnSession('/wallet', 'wallet', 'portal_session', 'wallet'),
});

export const consoleRoutes = declareRoutes({
  listConsoleTransactions: {
    method: 'GET',
    path: '/console/transactions',
    function: 'console',
    auth: 'console_session',
    summary: "The merchant's transactions, newest first",
    tag: hostedTag,
    query: consoleTransactionsQuery,
    success: { status: 200, description: 'The newest transactions.', schema: z.array(pageTransactionSchema) },
  },
  getConsoleTransaction: {
    method: 'GET',
    path: '/console/transactions/{transaction_id}',
    function: 'console',
    auth: 'console_session',
    summary: 'One transaction and its timeline of events, with webhook attempts',
    tag: hostedTag,
    pathParameters: transactionIdParameter,
    success: { status: 200, description: 'The transaction and its events, oldest first.', schema: consoleTransactionSchema },
    errors: [notFound('transaction', 'transaction_id')],
  },
  endOwnConsoleSession: endOwnSession('/console', 'console', 'console_session', 'console'),
});

export const pageRoutes = declareRoutes({
  getCheckoutPage: page('/pages/checkout', 'The hosted checkout page'),
  getWalletPage: page('/pages/wallet', 'The hosted wallet page'),
  getConsolePage: page('/pages/console', 'The hosted merchant console page'),
  getPageAsset: {
    method: 'GET',
    path: '/pages/assets/{file}',
    function: 'pages',
    auth: 'none',
    summary: "A hosted page's script or stylesheet",
    tag: hostedTag,
    pathParameters: { file: { description: 'The file, e.g. `checkout.js` or `pages.css`.', notAnId: true } },
    success: { status: 200, description: 'The file.', schema: z.string(), mediaType: 'text/javascript' },
    errors: [{ status: 404, code: 'resource_missing', when: 'No such file.' }],
  },
});
