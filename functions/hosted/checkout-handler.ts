/**
 * The checkout function: the routes the hosted checkout page (pages/checkout.html) calls with its session
 * token (`Authorization: Bearer cs_...`). GET /checkout says what is being paid and how the latest payment
 * stands; POST /checkout/pay pays it with a typed card; DELETE /checkout ends the session. Built from its
 * ports (functions/wiring/checkout.ts gives the real ones), so a test hands in fakes or a local table.
 */
import type { CheckoutView } from '../contract/sessions.ts';
import { AuthenticationError } from '../core/errors.ts';
import { requireCurrency } from '../core/money.ts';
import { createApiHandler, type ApiHandler, type ApiPipelineDependencies } from '../http/handler.ts';
import { defineRoute, type ApiRequest } from '../http/route.ts';
import { activeSessionOf } from './active-session.ts';
import { endSession } from './end-session.ts';
import { payCheckout, type PayCheckoutDeps } from './pay-checkout.ts';
import type { Merchants, Sessions } from './ports.ts';
import type { Session } from './session.ts';
import { checkoutRoutes } from './routes.ts';
import { toCheckoutTransaction } from './views.ts';

/** What paying needs (the payment use case's ports and the clock), the sessions, and the merchant's name. */
export interface CheckoutDependencies extends ApiPipelineDependencies, Omit<PayCheckoutDeps, 'defaultCurrency' | 'sessions'> {
  readonly sessions: Pick<Sessions, 'getOwned' | 'claimPayment' | 'end'>;
  readonly merchants: Merchants;
}

export function makeCheckoutHandler({
  sessions,
  merchants,
  transactions,
  vault,
  fingerprints,
  customers,
  orders,
  now,
  ...pipeline
}: CheckoutDependencies): ApiHandler {
  /** The caller's own checkout session, read fresh (its latest payment changes), refused once ended or expired. */
  async function checkoutSessionOf(request: ApiRequest<unknown, unknown>): Promise<Session> {
    const session = await activeSessionOf(sessions, request, 'checkout_session', now());
    if (session.checkout === undefined) throw new AuthenticationError();
    return session;
  }

  async function viewOf(session: Session): Promise<CheckoutView> {
    const terms = session.checkout;
    if (terms === undefined) throw new AuthenticationError();
    const [merchant, payment] = await Promise.all([
      merchants.getMerchant(session.merchantId),
      session.transactionId === undefined ? undefined : transactions.getOwned(session.merchantId, session.transactionId),
    ]);
    return {
      session_id: session.id,
      merchant_name: merchant?.name ?? '',
      amount: terms.amount,
      currency: terms.currency,
      currency_exponent: requireCurrency(terms.currency).exponent,
      description: terms.description ?? null,
      order_id: terms.orderId ?? null,
      return_url: terms.returnUrl ?? null,
      expires_at: session.expiresAt,
      payment: payment === undefined ? null : toCheckoutTransaction(payment),
    };
  }

  const payDeps: PayCheckoutDeps = {
    transactions,
    vault,
    fingerprints,
    customers,
    orders,
    sessions,
    now,
    defaultCurrency: (id) => merchants.defaultCurrencyOf(id),
  };

  return createApiHandler(
    [
      defineRoute(checkoutRoutes.getCheckout, async (request) => ({ status: 200, body: await viewOf(await checkoutSessionOf(request)) })),
      defineRoute(checkoutRoutes.payCheckout, async (request) => {
        const session = await checkoutSessionOf(request);
        const transaction = await payCheckout(payDeps, session, request.body, request.newId);
        return { status: 201, body: toCheckoutTransaction(transaction) };
      }),
      defineRoute(checkoutRoutes.endOwnCheckoutSession, async (request) => ({
        status: 200,
        body: await endSession(sessions, await checkoutSessionOf(request)),
      })),
    ],
    pipeline,
  );
}
