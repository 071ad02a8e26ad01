/**
 * Opening a hosted-page session for a merchant: checks what the session is for (the order to pay, the
 * amount, the customer) now, so the page never starts on something that cannot work, and builds the page's
 * URL with the token in its fragment (`#token=...`), which browsers never send to a server.
 */
import { requireAmount, requireCurrency } from '../core/money.ts';
import type { CreateCheckoutSessionBody, SessionResponse } from '../contract/sessions.ts';
import type { Customers } from '../customers/ports.ts';
import type { Orders } from '../orders/ports.ts';
import type { CheckoutTerms, IssuedSession, SessionKind } from './session.ts';
import { requireOrder } from '../orders/orders.ts';
import type { RequestLocation } from '../http/route.ts';
import { pageRoutes, sessionRoutes } from './routes.ts';
import { InvalidRequestError, NotFoundError, StateConflictError } from '../core/errors.ts';

const pagePaths: Readonly<Record<SessionKind, string>> = {
  checkout: pageRoutes.getCheckoutPage.path,
  portal: pageRoutes.getWalletPage.path,
  console: pageRoutes.getConsolePage.path,
};

const createPaths: Readonly<Record<SessionKind, string>> = {
  checkout: sessionRoutes.createCheckoutSession.path,
  portal: sessionRoutes.createPortalSession.path,
  console: sessionRoutes.createConsoleSession.path,
};

/** The public answer: the page URL on the same API (stage prefix kept), with the token in the fragment. */
export function sessionResponseOf(issued: IssuedSession, location: RequestLocation): SessionResponse {
  const kind = issued.session.kind;
  // `location.path` is the path the client called, e.g. `/prod/checkout_sessions`: keep what precedes ours.
  const base = location.path.endsWith(createPaths[kind]) ? location.path.slice(0, -createPaths[kind].length) : '';
  const page = `${location.origin ?? ''}${base}${pagePaths[kind]}`;
  return { id: issued.session.id, url: `${page}#token=${issued.token}`, expires_at: issued.session.expiresAt };
}

export interface CheckoutTermsDeps {
  readonly orders: Orders;
  readonly customers: Pick<Customers, 'getOwned'>;
  readonly defaultCurrency: (merchantId: string) => Promise<string>;
}

/** What a checkout session will charge, checked as POST /payments would check it. */
export async function checkoutTermsOf(deps: CheckoutTermsDeps, merchantId: string, body: CreateCheckoutSessionBody): Promise<CheckoutTerms> {
  if (body.customer_id !== undefined && (await deps.customers.getOwned(merchantId, body.customer_id)) === undefined) {
    throw new NotFoundError('customer', body.customer_id, 'customer_id');
  }
  const extras = {
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.return_url === undefined ? {} : { returnUrl: body.return_url }),
  };
  if (body.order_id !== undefined) {
    if (body.amount !== undefined || body.currency !== undefined) {
      throw new InvalidRequestError('parameter_invalid', 'With `order_id`, the order sets the amount and currency: leave them out.', {
        param: body.amount !== undefined ? 'amount' : 'currency',
      });
    }
    const order = await requireOrder(deps, merchantId, body.order_id);
    if (order.status === 'paid') throw new StateConflictError('order_already_paid', 'The order is paid already.');
    if (order.customerId !== undefined && body.customer_id !== undefined && body.customer_id !== order.customerId) {
      throw new InvalidRequestError('order_customer_mismatch', "The order belongs to another customer than `customer_id`.", {
        param: 'customer_id',
      });
    }
    const customerId = body.customer_id ?? order.customerId;
    return {
      amount: order.amount,
      currency: order.currency,
      orderId: order.id,
      ...(customerId === undefined ? {} : { customerId }),
      ...(order.description === undefined || body.description !== undefined ? {} : { description: order.description }),
      ...extras,
    };
  }
  if (body.amount === undefined) {
    throw new InvalidRequestError('parameter_missing', 'Name what is paid: `order_id`, or `amount` (and `currency`).', { param: 'amount' });
  }
  const currency = requireCurrency(body.currency ?? (await deps.defaultCurrency(merchantId)));
  return {
    amount: requireAmount(body.amount, currency),
    currency: currency.code,
    ...(body.customer_id === undefined ? {} : { customerId: body.customer_id }),
    ...extras,
  };
}
