/**
 * Customer use cases: create a customer, save a card for it, switch its default card, detach a card, list its
 * cards. Each change to what is attached, or to the default, is one conditional write on the customer's
 * version; a racing writer makes it read again and recompute, so concurrent requests serialize on the item.
 */
import {
  attachPaymentMethod,
  createCustomer as newCustomer,
  detachPaymentMethod as detach,
  isAttached,
  requireRoomForPaymentMethod,
  setDefaultPaymentMethod as setDefault,
  type Customer,
  type CustomerTransition,
  type PaymentMethod,
} from '../core/customer.ts';
import { cardInputOf } from '../core/card-input.ts';
import { NotFoundError, StateConflictError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import { checkCard } from '../core/card.ts';
import type { CreateCustomerBody, SavePaymentMethodBody } from '../contract/customers.ts';
import type { CardFingerprinter, CardVault, Customers } from './ports.ts';

export interface CustomerDeps {
  readonly customers: Customers;
  readonly now: () => Date;
}

export interface SaveCardDeps extends CustomerDeps {
  readonly vault: CardVault;
  readonly fingerprints: CardFingerprinter;
}

/** Enough for any realistic burst of requests on one customer; beyond it the caller is asked to retry. */
const MAX_ATTEMPTS = 8;

export async function createCustomer(
  deps: CustomerDeps,
  input: { readonly merchantId: string; readonly body: CreateCustomerBody; readonly newId: (kind: IdKind) => string },
): Promise<Customer> {
  const { body } = input;
  const transition = newCustomer(
    {
      id: input.newId('customer'),
      merchantId: input.merchantId,
      ...(body.email === undefined ? {} : { email: body.email }),
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    },
    deps.now(),
  );
  if ((await deps.customers.create(transition)) === 'written') return transition.customer;
  // A retry of a request that died after its write: same id, same customer.
  return requireCustomer(deps, input.merchantId, transition.customer.id);
}

/**
 * Checks the card, seals its number for the new payment method (the CVC is checked, never kept), stores it,
 * then attaches it to the customer with `payment_method.attached`. A card stored but never attached (the
 * request died in between) is invisible and cannot be charged; a retry with the same Idempotency-Key attaches it.
 */
export async function savePaymentMethod(
  deps: SaveCardDeps,
  input: { readonly merchantId: string; readonly body: SavePaymentMethodBody; readonly newId: (kind: IdKind) => string },
): Promise<{ paymentMethod: PaymentMethod; customer: Customer }> {
  const { merchantId, body } = input;
  const now = deps.now();
  const owner = await requireCustomer(deps, merchantId, body.customer_id);
  const { card: cardInput, params } = cardInputOf(body);
  const card = checkCard(cardInput, now, params);

  const id = input.newId('paymentMethod');
  // Before sealing, so that a customer with no room left gets no sealed number stored for nothing; attaching
  // checks again, on the version it writes. A retry whose card is attached already needs no room.
  if (!isAttached(owner, id)) requireRoomForPaymentMethod(owner);
  const [fingerprint, sealedNumber] = await Promise.all([
    deps.fingerprints.fingerprint(merchantId, card.number),
    deps.vault.seal(card.number, { merchantId, recordId: id, field: 'number' }),
  ]);
  const created: PaymentMethod = {
    id,
    merchantId,
    customerId: body.customer_id,
    card: { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, fingerprint },
    createdAt: now.toISOString(),
  };
  const paymentMethod =
    (await deps.customers.savePaymentMethod(created, sealedNumber)) === 'written'
      ? created
      : await storedByRetriedRequest(deps, merchantId, id);

  const customer = await changeCustomer(deps, merchantId, body.customer_id, (current) =>
    attachPaymentMethod(current, paymentMethod, deps.now()),
  );
  return { paymentMethod, customer };
}

/** The card a retried request stored before (same id): attach what is stored, never a card not read back. */
async function storedByRetriedRequest(deps: CustomerDeps, merchantId: string, paymentMethodId: string): Promise<PaymentMethod> {
  const stored = await deps.customers.getOwnedPaymentMethod(merchantId, paymentMethodId);
  if (stored === undefined) throw new Error(`Payment method ${paymentMethodId} exists but could not be read back`);
  return stored.paymentMethod;
}

/** Makes one of the customer's attached cards its default, with `customer.default_payment_method_updated`. */
export function setDefaultPaymentMethod(
  deps: CustomerDeps,
  merchantId: string,
  customerId: string,
  paymentMethodId: string,
): Promise<Customer> {
  return changeCustomer(deps, merchantId, customerId, (current) => setDefault(current, paymentMethodId, deps.now()));
}

/**
 * Detaches a card with `payment_method.detached` (and, if it was the default, the most recently attached
 * remaining card becomes the default, or none). Then its sealed number is erased. Detaching a detached card
 * answers the same again, and finishes the erasure if a crash interrupted it.
 */
export async function detachPaymentMethod(
  deps: CustomerDeps,
  merchantId: string,
  paymentMethodId: string,
): Promise<{ paymentMethod: PaymentMethod; customer: Customer }> {
  const stored = await deps.customers.getOwnedPaymentMethod(merchantId, paymentMethodId);
  if (stored === undefined) throw new NotFoundError('payment method', paymentMethodId, 'id');
  const { paymentMethod } = stored;
  const customer = await changeCustomer(deps, merchantId, paymentMethod.customerId, (current) =>
    detach(current, paymentMethod, deps.now()),
  );
  await deps.customers.eraseSealedNumber(paymentMethod.id);
  return { paymentMethod, customer };
}

/** One page of the customer's attached cards, newest first (ids sort by creation, so a cursor survives a detach). */
export async function listPaymentMethods(
  deps: CustomerDeps,
  merchantId: string,
  customerId: string,
  page: { readonly limit: number; readonly startingAfter?: string },
): Promise<{ customer: Customer; paymentMethods: PaymentMethod[]; lastId: string | undefined }> {
  const customer = await requireCustomer(deps, merchantId, customerId);
  const after = page.startingAfter;
  const newestFirst = [...customer.paymentMethodIds].sort().reverse();
  const remaining = after === undefined ? newestFirst : newestFirst.filter((id) => id < after);
  const ids = remaining.slice(0, page.limit);
  const paymentMethods = await deps.customers.getPaymentMethods(ids);
  const more = remaining.length > page.limit;
  return { customer, paymentMethods, lastId: more ? ids[ids.length - 1] : undefined };
}

export async function requireCustomer(
  deps: { readonly customers: Pick<Customers, 'getOwned'> },
  merchantId: string,
  customerId: string,
): Promise<Customer> {
  const customer = await deps.customers.getOwned(merchantId, customerId);
  if (customer === undefined) throw new NotFoundError('customer', customerId, 'customer_id');
  return customer;
}

/** Reads the merchant's customer, computes a change, and writes it unless someone changed it meanwhile; then again. */
async function changeCustomer(
  deps: CustomerDeps,
  merchantId: string,
  customerId: string,
  change: (current: Customer) => CustomerTransition,
): Promise<Customer> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const current = await requireCustomer(deps, merchantId, customerId);
    const transition = change(current);
    if ((await deps.customers.apply(current, transition)) === 'written') return transition.customer;
  }
  throw new StateConflictError('customer_busy', 'The customer is being changed by other requests at this moment; retry.', {
    param: 'customer_id',
  });
}
