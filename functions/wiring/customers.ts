/**
 * The customers function: customers and their saved cards (POST /customers, GET /customers/{id},
 * POST /payment_methods, GET /customers/{id}/payment_methods, PUT /payment_methods, DELETE /payment_methods/{id}).
 * Thin: it parses, calls a use case, and answers. It can seal a card number, never open one.
 */
import { dynamoDocumentClient } from '../adapters/dynamodb-client.ts';
import { sqsClient } from '../adapters/sqs-client.ts';
import { cardFingerprinterFromEnv, cardVaultFromEnv } from './card-data.ts';
import { CustomerRepository } from '../adapters/customer-repository.ts';
import { OutboxStore } from '../adapters/outbox.ts';
import { SqsQueueSender } from '../adapters/queue-sender.ts';
import { queueUrlsFromEnv, tableNameFromEnv } from '../config.ts';
import { toPublicCustomer, toPublicPaymentMethod } from '../core/customer.ts';
import {
  createCustomer,
  detachPaymentMethod,
  listPaymentMethods,
  requireCustomer,
  savePaymentMethod,
  setDefaultPaymentMethod,
} from '../customers/customers.ts';
import { customerRoutes } from '../customers/routes.ts';
import { createApiHandler } from '../http/handler.ts';
import { apiPipeline } from './api-pipeline.ts';
import { decodeCursor, pageResult } from '../http/pagination.ts';
import { defineRoute, merchantOf } from '../http/route.ts';

const tableName = tableNameFromEnv();
// Its changes cause events only, never queue commands: its outbox sends only to the webhook fan-out.
const customers = new CustomerRepository(
  dynamoDocumentClient,
  tableName,
  new OutboxStore(dynamoDocumentClient, tableName, new SqsQueueSender(sqsClient, queueUrlsFromEnv(['webhookFanout']))),
);
const vault = cardVaultFromEnv();
const fingerprints = cardFingerprinterFromEnv();
const now = (): Date => new Date();
const deps = { customers, now };

const idOf = (pathParameters: Readonly<Record<string, string>>): string => pathParameters.id ?? '';

export const handler = createApiHandler([
  defineRoute(customerRoutes.createCustomer, async (request) => {
    const customer = await createCustomer(deps, {
      merchantId: merchantOf(request).merchantId,
      body: request.body,
      newId: request.newId,
    });
    return { status: 201, body: toPublicCustomer(customer) };
  }),
  defineRoute(customerRoutes.getCustomer, async (request) => {
    const customer = await requireCustomer(deps, merchantOf(request).merchantId, idOf(request.pathParameters));
    return { status: 200, body: toPublicCustomer(customer) };
  }),
  defineRoute(customerRoutes.listPaymentMethods, async (request) => {
    const { merchantId } = merchantOf(request);
    const customerId = idOf(request.pathParameters);
    const cursor = decodeCursor(request.query.starting_after, { merchant: merchantId, customer: customerId });
    const page = await listPaymentMethods(deps, merchantId, customerId, {
      limit: request.query.limit,
      ...(cursor?.after === undefined ? {} : { startingAfter: cursor.after }),
    });
    return pageResult(request.location, {
      items: page.paymentMethods.map((paymentMethod) => toPublicPaymentMethod(paymentMethod, page.customer)),
      nextKey: page.lastId === undefined ? undefined : { merchant: merchantId, customer: customerId, after: page.lastId },
    });
  }),
  defineRoute(customerRoutes.savePaymentMethod, async (request) => {
    const { paymentMethod, customer } = await savePaymentMethod(
      { ...deps, vault, fingerprints },
      { merchantId: merchantOf(request).merchantId, body: request.body, newId: request.newId },
    );
    return { status: 201, body: toPublicPaymentMethod(paymentMethod, customer) };
  }),
  defineRoute(customerRoutes.setDefaultPaymentMethod, async (request) => {
    const customer = await setDefaultPaymentMethod(
      deps,
      merchantOf(request).merchantId,
      request.body.customer_id,
      request.body.payment_method_id,
    );
    return { status: 200, body: toPublicCustomer(customer) };
  }),
  defineRoute(customerRoutes.detachPaymentMethod, async (request) => {
    const { paymentMethod, customer } = await detachPaymentMethod(
      deps,
      merchantOf(request).merchantId,
      idOf(request.pathParameters),
    );
    return { status: 200, body: toPublicPaymentMethod(paymentMethod, customer) };
  }),
], apiPipeline);
