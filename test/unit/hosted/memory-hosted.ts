/** The hosted pages' stores in memory, with the conditions of the DynamoDB ones, for handlers built without a table. */
import { SESSION_LIFETIME_SECONDS } from '../../../functions/adapters/session-store.ts';
import type { Customer, PaymentMethod } from '../../../functions/core/customer.ts';
import { NotFoundError, StateConflictError } from '../../../functions/core/errors.ts';
import type { Customers, StoredPaymentMethod } from '../../../functions/customers/ports.ts';
import type { IssuedSession, NewSession, Session, SessionKind, Sessions, StoredSession } from '../../../functions/hosted/ports.ts';
import type { WriteOutcome } from '../../../functions/payments/ports.ts';

/** Sessions whose lifetime and end are told by `clock`; a session's token is `token_<id>`. */
export class MemorySessions implements Sessions {
  private readonly stored = new Map<string, StoredSession>();

  constructor(private readonly clock: () => Date) {}

  async create(input: NewSession): Promise<IssuedSession> {
    const now = this.clock();
    const session: Session = {
      ...input,
      attempts: 0,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_LIFETIME_SECONDS * 1000).toISOString(),
    };
    this.stored.set(session.id, session);
    return { session, token: `token_${session.id}` };
  }

  async getOwned(merchantId: string, sessionId: string): Promise<StoredSession | undefined> {
    const session = this.stored.get(sessionId);
    return session?.merchantId === merchantId ? session : undefined;
  }

  async end(merchantId: string, kind: SessionKind, sessionId: string): Promise<{ id: string; endedAt: string }> {
    const session = await this.getOwned(merchantId, sessionId);
    if (session?.kind !== kind) throw new NotFoundError(`${kind} session`, sessionId, 'id');
    const endedAt = session.endedAt ?? this.clock().toISOString();
    this.stored.set(sessionId, { ...session, endedAt });
    return { id: sessionId, endedAt };
  }

  async claimPayment(session: Session, previous: string | undefined, transactionId: string): Promise<void> {
    const current = this.stored.get(session.id);
    if (current === undefined || current.transactionId !== previous || current.endedAt !== undefined) {
      throw new StateConflictError('checkout_payment_in_progress', 'Another payment for this checkout was just made; follow it instead.');
    }
    this.stored.set(session.id, { ...current, transactionId, claimedAt: this.clock().toISOString(), attempts: current.attempts + 1 });
  }
}

/** Customers and their saved cards; a change is written on the condition that the customer's version is unchanged. */
export class MemoryCustomers implements Customers {
  private readonly customers = new Map<string, Customer>();
  private readonly paymentMethods = new Map<string, StoredPaymentMethod>();

  constructor(customers: readonly Customer[] = [], paymentMethods: readonly PaymentMethod[] = []) {
    for (const customer of customers) this.customers.set(customer.id, customer);
    for (const paymentMethod of paymentMethods) this.paymentMethods.set(paymentMethod.id, { paymentMethod, sealedNumber: `sealed:${paymentMethod.id}` });
  }

  async create({ customer }: { customer: Customer }): Promise<WriteOutcome> {
    if (this.customers.has(customer.id)) return 'condition_failed';
    this.customers.set(customer.id, customer);
    return 'written';
  }

  async apply(previous: Customer, { customer }: { customer: Customer }): Promise<WriteOutcome> {
    if (this.customers.get(previous.id)?.version !== previous.version) return 'condition_failed';
    this.customers.set(customer.id, customer);
    return 'written';
  }

  async getOwned(merchantId: string, customerId: string): Promise<Customer | undefined> {
    const customer = this.customers.get(customerId);
    return customer?.merchantId === merchantId ? customer : undefined;
  }

  async savePaymentMethod(paymentMethod: PaymentMethod, sealedNumber: string): Promise<WriteOutcome> {
    this.paymentMethods.set(paymentMethod.id, { paymentMethod, sealedNumber });
    return 'written';
  }

  async getOwnedPaymentMethod(merchantId: string, paymentMethodId: string): Promise<StoredPaymentMethod | undefined> {
    const stored = this.paymentMethods.get(paymentMethodId);
    return stored?.paymentMethod.merchantId === merchantId ? stored : undefined;
  }

  async getPaymentMethods(paymentMethodIds: readonly string[]): Promise<PaymentMethod[]> {
    return paymentMethodIds.flatMap((id) => {
      const stored = this.paymentMethods.get(id);
      return stored === undefined ? [] : [stored.paymentMethod];
    });
  }

  async eraseSealedNumber(paymentMethodId: string): Promise<void> {
    const stored = this.paymentMethods.get(paymentMethodId);
    if (stored !== undefined) this.paymentMethods.set(paymentMethodId, { ...stored, sealedNumber: undefined });
  }
}
