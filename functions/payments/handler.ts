/**
 * The payments function (POST /payments and the routes under /payments/{transaction_id}) and the
 * transactions function (GET /transactions). Thin: each route parses, calls a use case, and answers. Built
 * from their ports (functions/wiring/payments.ts and transactions.ts give the real ones), so a test hands in fakes.
 */
import { NotFoundError } from '../core/errors.ts';
import { idBoundary } from '../core/ids.ts';
import { toPublicRefund, toPublicTransaction } from '../core/transaction.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';
import { cancelPayment, capturePayment, refundPayment } from './change-payment.ts';
import { createPayment, type CreatePaymentDeps } from './create-payment.ts';
import type { TransactionList } from './ports.ts';
import { paymentRoutes, transactionRoutes } from './routes.ts';

/** What creating a payment needs (its card vault, fingerprints, customers, orders, the merchant's default currency and the clock). */
export interface PaymentsDependencies extends CreatePaymentDeps, ApiPipelineDependencies {}

const transactionIdOf = (pathParameters: Readonly<Record<string, string>>): string => pathParameters.transaction_id ?? '';

export function makePaymentsHandler(deps: PaymentsDependencies): ApiHandler {
  const { transactions, orders, now } = deps;
  return createApiHandler(
    [
      defineRoute(paymentRoutes.createPayment, async (request) => {
        const transaction = await createPayment(deps, {
          merchantId: merchantOf(request).merchantId,
          body: request.body,
          newId: request.newId,
        });
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
    ],
    deps,
  );
}

export interface TransactionsDependencies extends ApiPipelineDependencies {
  readonly transactions: TransactionList;
}

/** GET /transactions: the caller's transactions, newest first, filtered and paginated by key conditions. */
export function makeTransactionsHandler({ transactions, ...pipeline }: TransactionsDependencies): ApiHandler {
  return createApiHandler(
    [
      defineRoute(transactionRoutes.listTransactions, async (request) => {
        const { merchantId } = merchantOf(request);
        const query = request.query;
        // Filtering by merchant is allowed only on one's own id; any other is as unknown as a missing one.
        if (query.merchant_id !== undefined && query.merchant_id !== merchantId) {
          throw new NotFoundError('merchant', query.merchant_id, 'merchant_id');
        }
        const cursor = decodeCursor(query.starting_after, { merchant: merchantId });
        const page = await transactions.list({
          merchantId,
          limit: query.limit,
          ...(query.customer_id === undefined ? {} : { customerId: query.customer_id }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.created_gte === undefined ? {} : { idFrom: idBoundary('transaction', Date.parse(query.created_gte)) }),
          ...(query.created_lt === undefined ? {} : { idBefore: idBoundary('transaction', Date.parse(query.created_lt)) }),
          ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
        });
        return pageResult(request.location, {
          items: page.transactions.map(toPublicTransaction),
          nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, after: page.lastId },
        });
      }),
    ],
    pipeline,
  );
}
