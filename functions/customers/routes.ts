/** Customers, their saved cards, and the default card a payment charges. */
import * as z from 'zod';
import { createCustomerBody, listPaymentMethodsQuery, savePaymentMethodBody, setDefaultPaymentMethodBody } from '../contract/customers.ts';
import { customerSchema, paymentMethodSchema } from '../contract/responses.ts';
import { cardRefusals, declareRoutes, notFound, type ErrorCase } from '../http/route-declaration.ts';

const customersTag = { name: 'Customers', description: 'Customers, their saved cards, and the default card a payment charges.' };
const customerIdParameter = { id: 'The customer, `cus_...`.' };
const customerBusy: ErrorCase = {
  status: 409,
  code: 'customer_busy',
  when: 'Other requests kept changing the customer at the same moment; retry.',
};

export const customerRoutes = declareRoutes({
  createCustomer: {
    method: 'POST',
    path: '/customers',
    function: 'customers',
    auth: 'merchant',
    summary: 'Create a customer',
    tag: customersTag,
    body: createCustomerBody,
    success: { status: 201, description: 'The customer, with no saved card yet.', schema: customerSchema },
  },
  getCustomer: {
    method: 'GET',
    path: '/customers/{id}',
    function: 'customers',
    auth: 'merchant',
    summary: 'Read a customer',
    tag: customersTag,
    pathParameters: customerIdParameter,
    success: { status: 200, description: 'The customer.', schema: customerSchema },
    errors: [notFound('customer', 'customer_id')],
  },
  listPaymentMethods: {
    method: 'GET',
    path: '/customers/{id}/payment_methods',
    function: 'customers',
    auth: 'merchant',
    summary: "List a customer's saved cards, newest first, the default marked",
    tag: customersTag,
    pathParameters: customerIdParameter,
    query: listPaymentMethodsQuery,
    success: {
      status: 200,
      description: 'One page of attached cards, newest first; `is_default` marks the default.',
      schema: z.array(paymentMethodSchema),
      paginated: true,
    },
    errors: [notFound('customer', 'customer_id')],
  },
  savePaymentMethod: {
    method: 'POST',
    path: '/payment_methods',
    function: 'customers',
    auth: 'merchant',
    summary: 'Save a card for a customer',
    description:
      'Checks the card as POST /payments does, seals its number, and attaches it to the customer. The CVC, if given, ' +
      "is checked and discarded. The customer's first card becomes its default. The same card saved twice gives two " +
      'payment methods with the same `fingerprint`.',
    tag: customersTag,
    body: savePaymentMethodBody,
    success: { status: 201, description: 'The saved card, `attached`.', schema: paymentMethodSchema },
    errors: [
      ...cardRefusals,
      notFound('customer', 'customer_id'),
      { status: 409, code: 'too_many_payment_methods', when: 'The customer has 100 attached cards already.' },
      customerBusy,
    ],
  },
  setDefaultPaymentMethod: {
    method: 'PUT',
    path: '/payment_methods',
    function: 'customers',
    auth: 'merchant',
    summary: "Make one of a customer's saved cards its default",
    description: 'Concurrent calls for one customer apply one after the other: exactly one card ends up the default.',
    tag: customersTag,
    body: setDefaultPaymentMethodBody,
    success: { status: 200, description: 'The customer, with its new `default_payment_method_id`.', schema: customerSchema },
    errors: [notFound('customer', 'customer_id'), notFound('payment method attached to this customer', 'payment_method_id'), customerBusy],
  },
  detachPaymentMethod: {
    method: 'DELETE',
    path: '/payment_methods/{id}',
    function: 'customers',
    auth: 'merchant',
    summary: 'Detach a saved card from its customer',
    description:
      'The card can no longer be charged, and its sealed number is erased. If it was the default, the most recently ' +
      'attached remaining card becomes the default, or none. Detaching a detached card answers the same again.',
    tag: customersTag,
    pathParameters: { id: 'The saved card, `pm_...`.' },
    success: { status: 200, description: 'The card, `detached`.', schema: paymentMethodSchema },
    errors: [notFound('payment method', 'id'), customerBusy],
  },
});
