/** GET /transactions: the caller's transactions, newest first, filtered and paginated by key conditions. */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { noQueues } from '../adapters/no-queues.ts';
import { TransactionRepository } from '../adapters/transaction-repository.ts';
import { tableNameFromEnv } from '../config.ts';
import { NotFoundError } from '../core/errors.ts';
import { idBoundary } from '../core/ids.ts';
import { toPublicTransaction } from '../core/transaction.ts';
import { transactionRoutes } from '../payments/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';

const tableName = tableNameFromEnv();
// A read-only function: the repository's outbox is never written through here, and the function has no queue.
const transactions = new TransactionRepository(
  dynamoDocumentClient,
  tableName,
  new OutboxStore(dynamoDocumentClient, tableName, noQueues),
);

export const handler = createApiHandler([
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
], apiPipeline);
