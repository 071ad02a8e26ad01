/**
 * What each route of lib/topology.ts takes and answers, for openapi.yaml (bin/openapi.ts). The request
 * schemas are the very objects the handlers validate with (test/contract checks that they are the same
 * objects); the response schemas are pinned to the domain's types in responses.ts.
 *
 * A route lists only the errors of its own logic. The refusals every route of its kind shares (the query
 * and body checks, the key, Idempotency-Key, the rate limit) come from `errorsOf`, which reads them off the
 * route's method and `auth` the way the request pipeline (functions/http/middlewares.ts) applies them.
 */
import * as z from 'zod';
import type { RouteSpec } from '../../lib/topology.ts';
import { listEventsQuery } from './events.ts';
import {
  createdWebhookEndpointSchema,
  createWebhookEndpointBody,
  deletedWebhookEndpointSchema,
  listWebhookEndpointsQuery,
  redeliverResponse,
  webhookEndpointSchema,
} from './webhooks.ts';
import { createMerchantBody } from './merchants.ts';
import {
  createCustomerBody,
  listPaymentMethodsQuery,
  savePaymentMethodBody,
  setDefaultPaymentMethodBody,
} from './customers.ts';
import { createOrderBody } from './orders.ts';
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
} from './sessions.ts';
import { cancelPaymentBody, capturePaymentBody, createPaymentBody, listTransactionsQuery, refundPaymentBody } from './payments.ts';
import {
  apiKeyResponse,
  createdRefundSchema,
  customerSchema,
  orderSchema,
  paymentMethodSchema,
  eventSchema,
  healthResponse,
  merchantResponse,
  revokedApiKeyResponse,
  transactionSchema,
} from './responses.ts';

export const tags = {
  health: { name: 'Health', description: 'Is the API up, and can it read its table?' },
  merchants: { name: 'Merchants', description: 'Operators create merchants with the admin key.' },
  apiKeys: { name: 'API keys', description: 'Merchants rotate their secret keys: make a new one, then revoke the old.' },
  payments: { name: 'Payments', description: 'Card payments: create, read, capture, cancel, refund.' },
  transactions: { name: 'Transactions', description: "The caller's transactions, newest first." },
  customers: { name: 'Customers', description: 'Customers, their saved cards, and the default card a payment charges.' },
  orders: { name: 'Orders', description: 'Amounts to be paid once, by a payment that names the order.' },
  events: { name: 'Events', description: "What happened to the caller's resources, newest first." },
  webhooks: { name: 'Webhooks', description: 'URLs that receive signed events (Standard Webhooks), retried on a schedule.' },
  hosted: {
    name: 'Hosted pages',
    description:
      'Checkout, wallet and console pages served by the gateway. Your server opens a short-lived session with its secret key; ' +
      'the page calls the session routes with the session token (`Authorization: Bearer cs_...`, `ps_...`, `cons_...`), never your key.',
  },
} as const;

export type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** One refusal a route may answer with: its status, the problem's `code`, and when it happens. */
export interface ErrorCase {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly when: string;
}

export interface SuccessResponse {
  readonly status: 200 | 201;
  readonly description: string;
  readonly schema: z.ZodType;
  /** A page of a list: a JSON array, `limit` and `starting_after` in, the next page in a `Link` header. */
  readonly paginated?: true;
  /** Not JSON: the hosted pages' files. */
  readonly mediaType?: string;
}

export interface RouteContract {
  /** Unique across the API: a client generator's method name. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: (typeof tags)[keyof typeof tags];
  /** Every `{name}` of the route's path, described. */
  readonly pathParameters?: Readonly<Record<string, string>>;
  /** The handler's body schema; a route without one takes no body fields. */
  readonly body?: z.ZodType;
  /** The handler's query schema; a route without one takes no query parameters. */
  readonly query?: z.ZodType;
  readonly success: SuccessResponse;
  /** The refusals of this route's own logic; see `errorsOf` for the ones every route of its kind shares. */
  readonly errors?: readonly ErrorCase[];
}

const transactionIdParameter = { transaction_id: 'The transaction, `txn_...`.' };

const notFound = (what: string, param: string): ErrorCase => ({
  status: 404,
  code: 'resource_missing',
  when: `No such ${what} for the caller: it does not exist, or another merchant owns it (\`param\`: \`${param}\`).`,
});

const invalidAmount: ErrorCase = {
  status: 400,
  code: 'invalid_amount',
  when: 'The amount is not a whole number of minor units within what this transaction allows.',
};

const stateInvalid = (allowed: string): ErrorCase => ({
  status: 409,
  code: 'transaction_state_invalid',
  when: `The transaction's status does not allow this: only ${allowed}.`,
});

const transactionBusy: ErrorCase = {
  status: 409,
  code: 'transaction_busy',
  when: 'Other requests kept changing the transaction at the same moment; retry.',
};

/** Keyed `METHOD path`, exactly as lib/topology.ts names its routes. */
export const routeContracts: Readonly<Record<string, RouteContract>> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Check that the API and its table answer',
    tag: tags.health,
    success: { status: 200, description: 'The API answers and its table can be read.', schema: healthResponse },
    errors: [{ status: 503, code: 'service_unavailable', when: 'The table cannot be read.' }],
  },
  'POST /merchants': {
    operationId: 'createMerchant',
    summary: 'Create a merchant and its first secret key',
    description: 'For operators, with the admin key. The secret key is in this response only: the gateway keeps its hash.',
    tag: tags.merchants,
    body: createMerchantBody,
    success: { status: 201, description: 'The merchant, with its first secret key.', schema: merchantResponse },
    errors: [{ status: 400, code: 'invalid_currency', when: '`default_currency` is not a supported ISO 4217 code.' }],
  },
  'POST /api_keys': {
    operationId: 'createApiKey',
    summary: 'Make a new secret key for the caller',
    description: 'Keys made before it keep working until they are revoked. The secret is in this response only.',
    tag: tags.apiKeys,
    success: { status: 201, description: 'The new key.', schema: apiKeyResponse },
  },
  'DELETE /api_keys/{id}': {
    operationId: 'revokeApiKey',
    summary: "Revoke one of the caller's secret keys",
    description: 'Its next use is a 401. Revoking a revoked key answers the time it was first revoked.',
    tag: tags.apiKeys,
    pathParameters: { id: 'The key, `key_...`.' },
    success: { status: 200, description: 'The key is revoked.', schema: revokedApiKeyResponse },
    errors: [notFound('API key', 'id')],
  },
  'POST /payments': {
    operationId: 'createPayment',
    summary: 'Start a card payment',
    description:
      'Checks the card and answers at once with a `pending` transaction; authorization (and, with `capture: true`, ' +
      'capture) follow behind a queue. Follow the transaction with GET /payments/{transaction_id} or the events.',
    tag: tags.payments,
    body: createPaymentBody,
    success: { status: 201, description: 'The transaction, `pending`.', schema: transactionSchema },
    errors: [
      { status: 400, code: 'invalid_currency', when: '`currency` is not a supported ISO 4217 code.' },
      { status: 400, code: 'invalid_amount', when: "`amount` is not a positive whole number of the currency's minor units." },
      { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
      { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
      { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
      { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
      {
        status: 400,
        code: 'parameter_invalid',
        when: 'Both `card_number` and `payment_method_id`; or an expiry or `cvc` without `card_number` (a saved card has no CVC).',
      },
      { status: 400, code: 'no_default_payment_method', when: 'Only `customer_id` is given, and the customer has no default card.' },
      { status: 400, code: 'payment_method_detached', when: 'The saved card was detached from its customer: it cannot be charged.' },
      { status: 400, code: 'payment_method_customer_mismatch', when: '`payment_method_id` belongs to another customer than `customer_id`.' },
      { status: 400, code: 'order_amount_mismatch', when: "`amount` is not the order's amount." },
      { status: 400, code: 'order_currency_mismatch', when: "`currency` is not the order's currency." },
      { status: 400, code: 'order_customer_mismatch', when: "The payment's customer is not the order's customer." },
      { status: 402, code: 'expired_card', when: 'The saved card (named, or the default) has expired (`param`: `payment_method_id` or `customer_id`).' },
      notFound('customer', 'customer_id'),
      notFound('payment method', 'payment_method_id'),
      notFound('order', 'order_id'),
      { status: 409, code: 'order_already_paid', when: 'The order is paid already.' },
      {
        status: 409,
        code: 'order_payment_in_progress',
        when: 'Another payment for the order is under way; it can be paid again only if that one is declined, fails or is canceled.',
      },
      { status: 409, code: 'order_busy', when: 'Other requests kept changing the order at the same moment; retry.' },
    ],
  },
  'GET /payments/{transaction_id}': {
    operationId: 'getPayment',
    summary: 'Read a transaction and its current status',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    success: { status: 200, description: 'The transaction.', schema: transactionSchema },
    errors: [notFound('transaction', 'transaction_id')],
  },
  'POST /payments/{transaction_id}/capture': {
    operationId: 'capturePayment',
    summary: 'Capture an authorized transaction',
    description: 'All of it, or with `amount` part of it; the rest of the authorization is released.',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: capturePaymentBody,
    success: { status: 200, description: 'The transaction, `captured`.', schema: transactionSchema },
    errors: [
      invalidAmount,
      { status: 400, code: 'partial_capture_of_order', when: 'The transaction pays an order and `amount` is less than all of it.' },
      notFound('transaction', 'transaction_id'),
      stateInvalid('an `authorized` transaction can be captured'),
      transactionBusy,
    ],
  },
  'POST /payments/{transaction_id}/cancel': {
    operationId: 'cancelPayment',
    summary: 'Void a pending or authorized transaction',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: cancelPaymentBody,
    success: { status: 200, description: 'The transaction, `canceled`.', schema: transactionSchema },
    errors: [
      notFound('transaction', 'transaction_id'),
      stateInvalid('a `pending` or `authorized` transaction can be canceled'),
      transactionBusy,
    ],
  },
  'POST /payments/{transaction_id}/refunds': {
    operationId: 'refundPayment',
    summary: 'Refund a captured or settled transaction',
    description: 'All that is left of it, or with `amount` part of it. A fully refunded transaction becomes `refunded`.',
    tag: tags.payments,
    pathParameters: transactionIdParameter,
    body: refundPaymentBody,
    success: { status: 201, description: 'The refund, `re_...`, with the transaction after it.', schema: createdRefundSchema },
    errors: [
      invalidAmount,
      notFound('transaction', 'transaction_id'),
      stateInvalid('a `captured` or `settled` transaction with money left to refund can be refunded'),
      transactionBusy,
    ],
  },
  'GET /transactions': {
    operationId: 'listTransactions',
    summary: "List the caller's transactions, newest first",
    tag: tags.transactions,
    query: listTransactionsQuery,
    success: {
      status: 200,
      description: 'One page of transactions, newest first.',
      schema: z.array(transactionSchema),
      paginated: true,
    },
    errors: [notFound('merchant', 'merchant_id')],
  },
  'POST /customers': {
    operationId: 'createCustomer',
    summary: 'Create a customer',
    tag: tags.customers,
    body: createCustomerBody,
    success: { status: 201, description: 'The customer, with no saved card yet.', schema: customerSchema },
  },
  'GET /customers/{id}': {
    operationId: 'getCustomer',
    summary: 'Read a customer',
    tag: tags.customers,
    pathParameters: { id: 'The customer, `cus_...`.' },
    success: { status: 200, description: 'The customer.', schema: customerSchema },
    errors: [notFound('customer', 'customer_id')],
  },
  'GET /customers/{id}/payment_methods': {
    operationId: 'listPaymentMethods',
    summary: "List a customer's saved cards, newest first, the default marked",
    tag: tags.customers,
    pathParameters: { id: 'The customer, `cus_...`.' },
    query: listPaymentMethodsQuery,
    success: {
      status: 200,
      description: 'One page of attached cards, newest first; `is_default` marks the default.',
      schema: z.array(paymentMethodSchema),
      paginated: true,
    },
    errors: [notFound('customer', 'customer_id')],
  },
  'POST /payment_methods': {
    operationId: 'savePaymentMethod',
    summary: 'Save a card for a customer',
    description:
      'Checks the card as POST /payments does, seals its number, and attaches it to the customer. The CVC, if given, ' +
      "is checked and discarded. The customer's first card becomes its default. The same card saved twice gives two " +
      'payment methods with the same `fingerprint`.',
    tag: tags.customers,
    body: savePaymentMethodBody,
    success: { status: 201, description: 'The saved card, `attached`.', schema: paymentMethodSchema },
    errors: [
      { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
      { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
      { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
      { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
      notFound('customer', 'customer_id'),
      { status: 409, code: 'too_many_payment_methods', when: 'The customer has 100 attached cards already.' },
      { status: 409, code: 'customer_busy', when: 'Other requests kept changing the customer at the same moment; retry.' },
    ],
  },
  'PUT /payment_methods': {
    operationId: 'setDefaultPaymentMethod',
    summary: "Make one of a customer's saved cards its default",
    description: 'Concurrent calls for one customer apply one after the other: exactly one card ends up the default.',
    tag: tags.customers,
    body: setDefaultPaymentMethodBody,
    success: { status: 200, description: 'The customer, with its new `default_payment_method_id`.', schema: customerSchema },
    errors: [
      notFound('customer', 'customer_id'),
      notFound('payment method attached to this customer', 'payment_method_id'),
      { status: 409, code: 'customer_busy', when: 'Other requests kept changing the customer at the same moment; retry.' },
    ],
  },
  'DELETE /payment_methods/{id}': {
    operationId: 'detachPaymentMethod',
    summary: 'Detach a saved card from its customer',
    description:
      'The card can no longer be charged, and its sealed number is erased. If it was the default, the most recently ' +
      'attached remaining card becomes the default, or none. Detaching a detached card answers the same again.',
    tag: tags.customers,
    pathParameters: { id: 'The saved card, `pm_...`.' },
    success: { status: 200, description: 'The card, `detached`.', schema: paymentMethodSchema },
    errors: [
      notFound('payment method', 'id'),
      { status: 409, code: 'customer_busy', when: 'Other requests kept changing the customer at the same moment; retry.' },
    ],
  },
  'POST /orders': {
    operationId: 'createOrder',
    summary: 'Create an order to be paid',
    description: 'Pay it with POST /payments and `order_id`; it becomes `paid` when that payment is captured, with `order.paid`.',
    tag: tags.orders,
    body: createOrderBody,
    success: { status: 201, description: 'The order, `open`.', schema: orderSchema },
    errors: [
      { status: 400, code: 'invalid_currency', when: '`currency` is not a supported ISO 4217 code.' },
      { status: 400, code: 'invalid_amount', when: "`amount` is not a positive whole number of the currency's minor units." },
      notFound('customer', 'customer_id'),
    ],
  },
  'GET /orders/{id}': {
    operationId: 'getOrder',
    summary: 'Read an order',
    tag: tags.orders,
    pathParameters: { id: 'The order, `ord_...`.' },
    success: { status: 200, description: 'The order.', schema: orderSchema },
    errors: [notFound('order', 'order_id')],
  },
  'GET /events': {
    operationId: 'listEvents',
    summary: "List the caller's events, newest first",
    tag: tags.events,
    query: listEventsQuery,
    success: { status: 200, description: 'One page of events, newest first.', schema: z.array(eventSchema), paginated: true },
  },
  'GET /events/{id}': {
    operationId: 'getEvent',
    summary: 'Read one event',
    tag: tags.events,
    pathParameters: { id: 'The event, `evt_...`.' },
    success: { status: 200, description: 'The event.', schema: eventSchema },
    errors: [notFound('event', 'id')],
  },
  'POST /events/{id}/redeliver': {
    operationId: 'redeliverEvent',
    summary: 'Send an event again to its webhook endpoints',
    description:
      'Every enabled endpoint subscribed to the event type whose delivery has finished (succeeded or failed) gets a ' +
      'new round of attempts, with the same `webhook-id`; endpoints subscribed since get their first delivery.',
    tag: tags.events,
    pathParameters: { id: 'The event, `evt_...`.' },
    success: { status: 200, description: 'The redelivery is queued.', schema: redeliverResponse },
    errors: [notFound('event', 'id')],
  },
  'POST /webhook_endpoints': {
    operationId: 'createWebhookEndpoint',
    summary: 'Register a URL for signed events',
    description:
      'The signing secret (`whsec_...`) is in this response only. Deliveries are signed per Standard Webhooks: ' +
      '`webhook-id` (the event id, the same on every retry), `webhook-timestamp`, `webhook-signature`.',
    tag: tags.webhooks,
    body: createWebhookEndpointBody,
    success: { status: 201, description: 'The endpoint, with its signing secret.', schema: createdWebhookEndpointSchema },
    errors: [
      {
        status: 400,
        code: 'url_not_allowed',
        when: 'The URL is not `https`, or its host resolves to a private, loopback, link-local, CGNAT, multicast or reserved address.',
      },
    ],
  },
  'GET /webhook_endpoints': {
    operationId: 'listWebhookEndpoints',
    summary: "List the caller's webhook endpoints, newest first",
    tag: tags.webhooks,
    query: listWebhookEndpointsQuery,
    success: {
      status: 200,
      description: 'One page of endpoints, newest first.',
      schema: z.array(webhookEndpointSchema),
      paginated: true,
    },
  },
  'GET /webhook_endpoints/{id}': {
    operationId: 'getWebhookEndpoint',
    summary: 'Read one webhook endpoint',
    tag: tags.webhooks,
    pathParameters: { id: 'The endpoint, `we_...`.' },
    success: { status: 200, description: 'The endpoint, without its secret.', schema: webhookEndpointSchema },
    errors: [notFound('webhook endpoint', 'id')],
  },
  'DELETE /webhook_endpoints/{id}': {
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint',
    description: 'Its pending deliveries stop at their next attempt.',
    tag: tags.webhooks,
    pathParameters: { id: 'The endpoint, `we_...`.' },
    success: { status: 200, description: 'The endpoint is deleted.', schema: deletedWebhookEndpointSchema },
    errors: [notFound('webhook endpoint', 'id')],
  },
  ...hostedRouteContracts(),
};

/** The hosted pages' routes: the merchant opens sessions; the pages call the session routes; the files are public. */
function hostedRouteContracts(): Record<string, RouteContract> {
  const sessionIdParameter = { id: 'The session: `chk_...`, `ptl_...` or `csl_...`.' };
  const sessionKinds = [
    ['checkout', 'Checkout', 'createCheckoutSession', 'endCheckoutSession', 'a checkout page that pays one order or amount', createCheckoutSessionBody],
    ['portal', 'Portal', 'createPortalSession', 'endPortalSession', "a wallet page for one customer's saved cards", createPortalSessionBody],
    ['console', 'Console', 'createConsoleSession', 'endConsoleSession', "a console page of the merchant's transactions", createConsoleSessionBody],
  ] as const;
  const contracts: Record<string, RouteContract> = {};
  for (const [kind, , createId, endId, what, body] of sessionKinds) {
    contracts[`POST /${kind}_sessions`] = {
      operationId: createId,
      summary: `Open ${what}`,
      description:
        'Answers the page URL with a 30-minute session token in its fragment (`#token=...`): send the customer ' +
        "(or yourself) there. The token is in this answer only; it acts for your account on that page's routes alone.",
      tag: tags.hosted,
      body,
      success: { status: 201, description: 'The session and its page URL.', schema: sessionResponse },
      errors:
        kind === 'checkout'
          ? [
              { status: 400, code: 'invalid_currency', when: '`currency` is not a supported ISO 4217 code.' },
              { status: 400, code: 'invalid_amount', when: "`amount` is not a positive whole number of the currency's minor units." },
              { status: 400, code: 'parameter_missing', when: 'Neither `order_id` nor `amount` is given.' },
              { status: 400, code: 'parameter_invalid', when: '`order_id` with `amount` or `currency`: the order sets them.' },
              { status: 400, code: 'order_customer_mismatch', when: "`customer_id` is not the order's customer." },
              notFound('order', 'order_id'),
              notFound('customer', 'customer_id'),
              { status: 409, code: 'order_already_paid', when: 'The order is paid already.' },
            ]
          : kind === 'portal'
            ? [notFound('customer', 'customer_id')]
            : [],
    };
    contracts[`DELETE /${kind}_sessions/{id}`] = {
      operationId: endId,
      summary: `End a ${kind} session`,
      description: 'Its token stops working at once (401). Ending an ended session again answers the same.',
      tag: tags.hosted,
      pathParameters: sessionIdParameter,
      success: { status: 200, description: 'The session is ended.', schema: endedSessionResponse },
      errors: [notFound(`${kind} session`, 'id')],
    };
  }
  const endOwn = (operationId: string, page: string): RouteContract => ({
    operationId,
    summary: `End the ${page}'s own session (log out)`,
    tag: tags.hosted,
    success: { status: 200, description: 'The session is ended.', schema: endedSessionResponse },
  });
  const page = (operationId: string, summary: string): RouteContract => ({
    operationId,
    summary,
    description: 'A static file, public: what it shows comes only through the session routes.',
    tag: tags.hosted,
    success: { status: 200, description: 'The page.', schema: z.string(), mediaType: 'text/html' },
  });
  return {
    ...contracts,
    'GET /checkout': {
      operationId: 'getCheckout',
      summary: 'What the checkout charges, and its latest payment',
      tag: tags.hosted,
      success: { status: 200, description: 'The checkout.', schema: checkoutViewSchema },
    },
    'POST /checkout/pay': {
      operationId: 'payCheckout',
      summary: 'Pay the checkout with a card',
      description:
        'Runs the same checks and use case as POST /payments, for the amount the session fixed. Answers at once with ' +
        'the `pending` payment; follow it with GET /checkout. A declined or failed payment may be followed by another.',
      tag: tags.hosted,
      body: payCheckoutBody,
      success: { status: 201, description: 'The payment, `pending`.', schema: pageTransactionSchema },
      errors: [
        { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
        { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
        { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
        { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
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
    'DELETE /checkout': endOwn('endOwnCheckoutSession', 'checkout'),
    'GET /wallet': {
      operationId: 'getWallet',
      summary: "The session's customer and their saved cards",
      tag: tags.hosted,
      success: { status: 200, description: 'The wallet.', schema: walletViewSchema },
    },
    'POST /wallet/payment_methods': {
      operationId: 'addWalletCard',
      summary: 'Save a card for the customer',
      tag: tags.hosted,
      body: addWalletCardBody,
      success: { status: 201, description: 'The saved card: brand, last4 and expiry only.', schema: walletCardSchema },
      errors: [
        { status: 402, code: 'invalid_number', when: 'The card number fails its Luhn check or its length for its brand.' },
        { status: 402, code: 'invalid_expiry_date', when: 'The expiry is not a real month, or is too far ahead.' },
        { status: 402, code: 'expired_card', when: 'The card expired before this month.' },
        { status: 402, code: 'invalid_cvc', when: "The CVC's length is wrong for the card's brand." },
      ],
    },
    'PUT /wallet/default_payment_method': {
      operationId: 'setWalletDefaultCard',
      summary: "Make one of the customer's cards the default",
      tag: tags.hosted,
      body: setWalletDefaultBody,
      success: { status: 200, description: 'The wallet after the change.', schema: walletViewSchema },
      errors: [notFound('payment method', 'payment_method_id')],
    },
    'DELETE /wallet/payment_methods/{id}': {
      operationId: 'removeWalletCard',
      summary: "Remove one of the customer's cards",
      tag: tags.hosted,
      pathParameters: { id: 'The card, `pm_...`.' },
      success: { status: 200, description: 'The wallet after the change.', schema: walletViewSchema },
      errors: [notFound('payment method', 'payment_method_id')],
    },
    'GET /wallet/transactions': {
      operationId: 'listWalletTransactions',
      summary: "The customer's recent payments, newest first",
      tag: tags.hosted,
      query: walletTransactionsQuery,
      success: { status: 200, description: 'The newest payments.', schema: z.array(pageTransactionSchema) },
    },
    'DELETE /wallet': endOwn('endOwnPortalSession', 'wallet'),
    'GET /console/transactions': {
      operationId: 'listConsoleTransactions',
      summary: "The merchant's transactions, newest first",
      tag: tags.hosted,
      query: consoleTransactionsQuery,
      success: { status: 200, description: 'The newest transactions.', schema: z.array(pageTransactionSchema) },
    },
    'GET /console/transactions/{transaction_id}': {
      operationId: 'getConsoleTransaction',
      summary: 'One transaction and its timeline of events, with webhook attempts',
      tag: tags.hosted,
      pathParameters: transactionIdParameter,
      success: { status: 200, description: 'The transaction and its events, oldest first.', schema: consoleTransactionSchema },
      errors: [notFound('transaction', 'transaction_id')],
    },
    'DELETE /console': endOwn('endOwnConsoleSession', 'console'),
    'GET /pages/checkout': page('getCheckoutPage', 'The hosted checkout page'),
    'GET /pages/wallet': page('getWalletPage', 'The hosted wallet page'),
    'GET /pages/console': page('getConsolePage', 'The hosted merchant console page'),
    'GET /pages/assets/{file}': {
      operationId: 'getPageAsset',
      summary: "A hosted page's script or stylesheet",
      tag: tags.hosted,
      pathParameters: { file: 'The file, e.g. `checkout.js` or `pages.css`.' },
      success: { status: 200, description: 'The file.', schema: z.string(), mediaType: 'text/javascript' },
      errors: [{ status: 404, code: 'resource_missing', when: 'No such file.' }],
    },
  };
}

export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function contractOf(route: RouteSpec): RouteContract {
  const contract = routeContracts[routeKey(route)];
  if (contract === undefined) throw new Error(`${routeKey(route)} has no entry in functions/contract/routes.ts`);
  return contract;
}

/** Methods whose body the pipeline reads: only these can be too large, of the wrong media type, or bad JSON. */
const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT']);

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

const forbiddenWhen: Readonly<Record<Exclude<RouteSpec['auth'], 'none'>, string>> = {
  admin: 'A merchant key: this route needs the admin key.',
  merchant: 'The admin key or a session token: this route needs a merchant secret key.',
  checkout_session: 'A secret key or another kind of session token: this route needs a checkout session token (`cs_...`).',
  portal_session: 'A secret key or another kind of session token: this route needs a wallet session token (`ps_...`).',
  console_session: 'A secret key or another kind of session token: this route needs a console session token (`cons_...`).',
};

/** Every refusal a route can answer with, in the order of the status codes: its kind's, then its own. */
export function errorsOf(route: RouteSpec, contract: RouteContract): ErrorCase[] {
  const cases: ErrorCase[] = [
    {
      status: 400,
      code: 'parameter_unknown',
      when: bodyMethods.has(route.method)
        ? 'A query parameter or body field the route does not take; `param` names it.'
        : 'A query parameter the route does not take; `param` names it.',
    },
  ];
  if (contract.query !== undefined || contract.body !== undefined) {
    cases.push(
      { status: 400, code: 'parameter_missing', when: 'A required field is missing; `param` names it.' },
      { status: 400, code: 'parameter_invalid', when: 'A field has the wrong type or is out of range; `param` names it.' },
    );
  }
  if (bodyMethods.has(route.method)) {
    cases.push(
      { status: 400, code: 'invalid_json', when: 'The body is not valid JSON, or has `__proto__` or `constructor.prototype` keys.' },
      { status: 400, code: 'invalid_request_body', when: 'The body is JSON but not an object.' },
      { status: 413, code: 'payload_too_large', when: 'The body is over 64 KiB.' },
      { status: 415, code: 'unsupported_media_type', when: 'The body is not sent as `Content-Type: application/json` (UTF-8).' },
    );
  }
  if (route.method === 'POST') {
    cases.push(
      {
        status: 400,
        code: 'idempotency_key_invalid',
        when: `Idempotency-Key is not 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces.`,
      },
      { status: 409, code: 'idempotency_key_in_use', when: 'A request with this Idempotency-Key is still running; retry later.' },
      { status: 422, code: 'idempotency_key_reused', when: 'This Idempotency-Key was used with a different request.' },
    );
  }
  if (route.auth !== 'none') {
    cases.push(
      { status: 401, code: 'unauthenticated', when: 'No `Authorization: Bearer <key>`, or a key that is unknown or revoked.' },
      {
        status: 403,
        code: 'forbidden',
        when: forbiddenWhen[route.auth],
      },
    );
  }
  cases.push({ status: 429, code: 'rate_limited', when: 'Too many requests; retry after `Retry-After` seconds.' });
  cases.push(...(contract.errors ?? []));
  return cases.sort((a, b) => a.status - b.status);
}
