/**
 * The payments function: POST /payments and the routes under /payments/{transaction_id}. Thin: it parses,
 * calls a use case, and answers. Clients and adapters are built once per container.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { MerchantStore } from '../adapters/merchant-store.ts';
import { OrderRepository } from '../adapters/order-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { NotFoundError } from '../core/errors.ts';
import { toPublicRefund, toPublicTransaction } from '../core/transaction.ts';
import { paymentRoutes } from '../payments/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import { cancelPayment, capturePayment, refundPayment } from '../payments/change-payment.ts';
import { createPayment } from '../payments/create-payment.ts';

const tableName = tableNameFromEnv();
const outbox = new OutboxStore(
  dynamoDocumentClient,
  tableName,
  new SqsQueueSender(sqsClient, queueUrlsFromEnv(['authorization', 'settlement', 'webhookFanout'])),
);
const transactions = new TransactionRepository(dynamoDocumentClient, tableName, outbox);
const customers = new CustomerRepository(dynamoDocumentClient, tableName, outbox);
const orders = new OrderRepository(dynamoDocumentClient, tableName, outbox);
const merchants = new MerchantStore(dynamoDocumentClient, tableName);
const vault = cardVaultFromEnv();
const fingerprints = cardFingerprinterFromEnv();
const now = (): Date => new Date();

const transactionIdOf = (pathParameters: Readonly<Record<string, string>>): string => pathParameters.transaction_id ?? '';

export const handler = createApiHandler([
  defineRoute(paymentRoutes.createPayment, async (request) => {
    const { merchantId } = merchantOf(request);
    const transaction = await createPayment(
      {
        transactions,
        vault,
        fingerprints,
        customers,
        orders,
        now,
        defaultCurrency: (id) => merchants.defaultCurrencyOf(id),
      },
      { merchantId, body: request.body, newId: request.newId },
    );
    return { status: 201, body: toPublicTransaction(transaction) };
  }),
  defineRoute(paymentRoutes.getPayment, async (request) => {
    const id = transactionIdOf(request.pathParameters);
    const transaction = await transactions.getOwned(merchantOf(request).merchantId, id);
    if (transaction === undefined) throw new NotFoundError('transaction', id, 'transaction_id');
    return { status: 200, body: toPublicTransaction(transaction) };
  }),
  defineRoute(paymentRoutes.capturePayment, async (request) => {
    const transaction = await capturePayment(
      { transactions, orders, now },
      merchantOf(request).merchantId,
      transactionIdOf(request.pathParameters),
      request.body.amount,
    );
    return { status: 200, body: toPublicTransaction(transaction) };
  }),
  defineRoute(paymentRoutes.cancelPayment, async (request) => {
    const transaction = await cancelPayment(
      { transactions, now },
      merchantOf(request).merchantId,
      transactionIdOf(request.pathParameters),
    );
    return { status: 200, body: toPublicTransaction(transaction) };
  }),
  defineRoute(paymentRoutes.refundPayment, async (request) => {
    const { transaction, refund } = await refundPayment(
      { transactions, now },
      merchantOf(request).merchantId,
      transactionIdOf(request.pathParameters),
      { id: request.newId('refund'), ...(request.body.amount === undefined ? {} : { amount: request.body.amount }) },
    );
    return { status: 201, body: { ...toPublicRefund(transaction, refund), transaction: toPublicTransaction(transaction) } };
  }),
], apiPipeline);
