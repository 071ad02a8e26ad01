/** Orders: amounts to be paid once, by a payment that names the order. */
import { createOrderBody } from '../contract/orders.ts';
import { orderSchema } from '../contract/responses.ts';
import { declareRoutes, invalidCurrency, invalidNewAmount, notFound } from '../http/route-declaration.ts';

const ordersTag = { name: 'Orders', description: 'Amounts to be paid once, by a payment that names the order.' };

export const orderRoutes = declareRoutes({
  createOrder: {
    method: 'POST',
    path: '/orders',
    function: 'orders',
    auth: 'merchant',
    summary: 'Create an order to be paid',
    description: 'Pay it with POST /payments and `order_id`; it becomes `paid` when that payment is captured, with `order.paid`.',
    tag: ordersTag,
    body: createOrderBody,
    success: { status: 201, description: 'The order, `open`.', schema: orderSchema },
    errors: [invalidCurrency('currency'), invalidNewAmount, notFound('customer', 'customer_id')],
  },
  getOrder: {
    method: 'GET',
    path: '/orders/{id}',
    function: 'orders',
    auth: 'merchant',
    summary: 'Read an order',
    tag: ordersTag,
    pathParameters: { id: 'The order, `ord_...`.' },
    success: { status: 200, description: 'The order.', schema: orderSchema },
    errors: [notFound('order', 'order_id')],
  },
});
