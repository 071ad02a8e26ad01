/** The payment and transaction routes: start a payment, follow it, capture, cancel or refund it, list them. */
import * as z from 'zod';
import { cancelPaymentBody, capturePaymentBody, createPaymentBody, listTransactionsQuery, refundPaymentBody } from '../contract/payments.ts';
import { createdRefundSchema, transactionSchema } from '../contract/responses.ts';
import {
  cardRefusals,
  declareRoutes,
  invalidCurrency,
  invalidNewAmount,
  notFound,
  type ErrorCase,
} from '../http/route-declaration.ts';

const paymentsTag = { name: 'Payments', description: 'Card payments: create, read, capture, cancel, refund.' };
const transactionsTag = { name: 'Transactions', description: "The caller's transactions, newest first." };

export const transactionIdParameter = { transaction_id: 'The transaction, `txn_...`.' };

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

export const paymentRoutes = declareRoutes({
  createPayment: {
    method: 'POST',
    path: '/payments',
    function: 'payments',
    auth: 'merchant',
    summary: 'Start a card payment',
    description:
      'Checks the card and answers at once with a `pending` transaction; authorization (and, with `capture: true`, ' +
      'capture) follow behind a queue. Follow the transaction with GET /payments/{transaction_id} or the events.',
    tag: paymentsTag,
    body: createPaymentBody,
    success: { status: 201, description: 'The transaction, `pending`.', schema: transactionSchema },
    errors: [
      invalidCurrency('currency'),
      invalidNewAmount,
      ...cardRefusals,
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
  getPayment: {
    method: 'GET',
    path: '/payments/{transaction_id}',
    function: 'payments',
    auth: 'merchant',
    summary: 'Read a transaction and its current status',
    tag: paymentsTag,
    pathParameters: transactionIdParameter,
    success: { status: 200, description: 'The transaction.', schema: transactionSchema },
    errors: [notFound('transaction', 'transaction_id')],
  },
  capturePayment: {
    method: 'POST',
    path: '/payments/{transaction_id}/capture',
    function: 'payments',
    auth: 'merchant',
    summary: 'Capture an authorized transaction',
    description: 'All of it, or with `amount` part of it; the rest of the authorization is released.',
    tag: paymentsTag,
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
  cancelPayment: {
    method: 'POST',
    path: '/payments/{transaction_id}/cancel',
    function: 'payments',
    auth: 'merchant',
    summary: 'Void a pending or authorized transaction',
    tag: paymentsTag,
    pathParameters: transactionIdParameter,
    body: cancelPaymentBody,
    success: { status: 200, description: 'The transaction, `canceled`.', schema: transactionSchema },
    errors: [
      notFound('transaction', 'transaction_id'),
      stateInvalid('a `pending` or `authorized` transaction can be canceled'),
      transactionBusy,
    ],
  },
  refundPayment: {
    method: 'POST',
    path: '/payments/{transaction_id}/refunds',
    function: 'payments',
    auth: 'merchant',
    summary: 'Refund a captured or settled transaction',
    description: 'All that is left of it, or with `amount` part of it. A fully refunded transaction becomes `refunded`.',
    tag: paymentsTag,
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
});

export const transactionRoutes = declareRoutes({
  listTransactions: {
    method: 'GET',
    path: '/transactions',
    function: 'transactions',
    auth: 'merchant',
    summary: "List the caller's transactions, newest first",
    tag: transactionsTag,
    query: listTransactionsQuery,
    success: {
      status: 200,
      description: 'One page of transactions, newest first.',
      schema: z.array(transactionSchema),
      paginated: true,
    },
    errors: [notFound('merchant', 'merchant_id')],
  },
});
