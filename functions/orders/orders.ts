/**
 * Order use cases: create one, and the three steps of the claim protocol described in core/order.ts —
 * claim (POST /payments), confirm (the authorize worker, before the processor), mark paid (on capture).
 * Each step is a conditional write on the order's version; a racing writer makes it read again and recompute.
 */
import { NotFoundError, StateConflictError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import {
  claimOrder,
  confirmClaim,
  createOrder as newOrder,
  markOrderPaid,
  requirePaymentMatchesOrder,
  type ClaimConfirmation,
  type ClaimHolder,
  type Order,
} from '../core/order.ts';
import type { Transaction } from '../core/transaction.ts';
import type { CreateOrderBody } from '../contract/orders.ts';
import type { Customers } from '../customers/ports.ts';
import { logger } from '../observability/logger.ts';
import type { Orders, PaymentLookup } from './ports.ts';

export interface OrderDeps {
  readonly orders: Orders;
  readonly now: () => Date;
}

const MAX_ATTEMPTS = 8;

export async function createOrder(
  deps: OrderDeps & {
    readonly customers: Pick<Customers, 'getOwned'>;
    readonly defaultCurrency: (merchantId: string) => Promise<string>;
  },
  input: { readonly merchantId: string; readonly body: CreateOrderBody; readonly newId: (kind: IdKind) => string },
): Promise<Order> {
  const { merchantId, body } = input;
  if (body.customer_id !== undefined && (await deps.customers.getOwned(merchantId, body.customer_id)) === undefined) {
    throw new NotFoundError('customer', body.customer_id, 'customer_id');
  }
  const order = newOrder(
    {
      id: input.newId('order'),
      merchantId,
      amount: body.amount,
      currency: body.currency ?? (await deps.defaultCurrency(merchantId)),
      ...(body.customer_id === undefined ? {} : { customerId: body.customer_id }),
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    },
    deps.now(),
  );
  if ((await deps.orders.create(order)) === 'written') return order;
  return requireOrder(deps, merchantId, order.id);
}

export async function requireOrder(deps: Pick<OrderDeps, 'orders'>, merchantId: string, orderId: string): Promise<Order> {
  const order = await deps.orders.getOwned(merchantId, orderId);
  if (order === undefined) throw new NotFoundError('order', orderId, 'order_id');
  return order;
}

/**
 * Step 1: claims the merchant's order for a payment about to be created, after checking that the payment is
 * for the order's amount, currency and customer. Throws 409 `order_already_paid` or `order_payment_in_progress`.
 */
export async function claimOrderForPayment(
  deps: OrderDeps & { readonly payments: PaymentLookup },
  merchantId: string,
  orderId: string,
  payment: { readonly transactionId: string; readonly amount: number; readonly currency: string; readonly customerId?: string | undefined },
): Promise<Order> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const order = await requireOrder(deps, merchantId, orderId);
    requirePaymentMatchesOrder(order, payment);
    const holder = await claimHolderOf(deps.payments, order, payment.transactionId);
    const claimed = claimOrder(order, payment.transactionId, holder, deps.now());
    if ((await deps.orders.apply(order, claimed)) === 'written') return claimed;
  }
  throw orderBusy();
}

async function claimHolderOf(payments: PaymentLookup, order: Order, claimant: string): Promise<ClaimHolder | undefined> {
  if (order.transactionId === undefined || order.transactionId === claimant || order.status === 'paid') return undefined;
  const holder = await payments.get(order.transactionId);
  return holder === undefined ? 'missing' : { status: holder.transaction.status };
}

/** Step 2: the payment still holds its order's claim, and now nobody can take it over. */
export async function confirmOrderClaim(deps: OrderDeps, orderId: string, transactionId: string): Promise<ClaimConfirmation> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const order = await deps.orders.get(orderId);
    if (order === undefined) return { outcome: 'lost', failureCode: 'order_payment_in_progress' };
    const confirmation = confirmClaim(order, transactionId, deps.now());
    if (confirmation.outcome === 'lost') return confirmation;
    if ((await deps.orders.apply(order, confirmation.order)) === 'written') return confirmation;
  }
  throw orderBusy();
}

/**
 * Step 3: the captured payment's order becomes `paid`, with `order.paid`. Idempotent: the capture path and
 * the settle worker both call it, so a crash between the capture and this write is repaired by settlement.
 */
export async function markOrderPaidBy(
  deps: OrderDeps,
  orderId: string,
  payment: Pick<Transaction, 'id' | 'amountCaptured'>,
): Promise<'paid' | 'conflict'> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const order = await deps.orders.get(orderId);
    if (order === undefined) return 'conflict';
    let transition;
    try {
      transition = markOrderPaid(order, payment, deps.now());
    } catch (error) {
      if (error instanceof StateConflictError) return 'conflict';
      throw error;
    }
    if ((await deps.orders.apply(order, transition.order, transition.events)) === 'written') return 'paid';
  }
  throw orderBusy();
}

/**
 * Step 3 right after a capture was written: the capture stands whatever happens here. A failure (the order
 * busy, DynamoDB unavailable) is only logged; the settle worker, whose command is in the capture's own
 * write, marks the order paid (see `settlePayment`).
 */
export async function markOrderPaidAfterCapture(deps: OrderDeps, captured: Transaction): Promise<void> {
  if (captured.orderId === undefined) return;
  try {
    await markOrderPaidBy(deps, captured.orderId, captured);
  } catch (error) {
    logger.warn('Order not marked paid after its capture; settlement will mark it', {
      orderId: captured.orderId,
      transactionId: captured.id,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
  }
}

function orderBusy(): StateConflictError {
  return new StateConflictError('order_busy', 'The order is being changed by other requests at this moment; retry.', {
    param: 'order_id',
  });
}
