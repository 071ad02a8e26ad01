/** Customers and saved cards in Maps, with the repository's conditions (create once, write on an unchanged version). */
import type { Customer, CustomerTransition, PaymentMethod } from '../../../functions/core/customer.ts';
import type { WriteOutcome } from '../../../functions/core/write-outcome.ts';
import type { Customers, StoredPaymentMethod } from '../../../functions/customers/ports.ts';

export class MemoryCustomers implements Customers {
  /** The sealed numbers still kept, by payment method id. */
  readonly sealedNumbers = new Map<string, string>();
  private readonly customers = new Map<string, Customer>();
  private readonly paymentMethods = new Map<string, PaymentMethod>();

  constructor(customers: readonly Customer[] = []) {
    for (const customer of customers) this.customers.set(customer.id, customer);
  }

  async create({ customer }: CustomerTransition): Promise<WriteOutcome> {
    if (this.customers.has(customer.id)) return 'condition_failed';
    this.customers.set(customer.id, customer);
    return 'written';
  }

  async apply(previous: Customer, { customer }: CustomerTransition): Promise<WriteOutcome> {
    if (this.customers.get(previous.id)?.version !== previous.version) return 'condition_failed';
    this.customers.set(customer.id, customer);
    return 'written';
  }

  async getOwned(merchantId: string, customerId: string): Promise<Customer | undefined> {
    const customer = this.customers.get(customerId);
    return customer?.merchantId === merchantId ? customer : undefined;
  }

  async savePaymentMethod(paymentMethod: PaymentMethod, sealedNumber: string): Promise<WriteOutcome> {
    if (this.paymentMethods.has(paymentMethod.id)) return 'condition_failed';
    this.paymentMethods.set(paymentMethod.id, paymentMethod);
    this.sealedNumbers.set(paymentMethod.id, sealedNumber);
    return 'written';
  }

  async getOwnedPaymentMethod(merchantId: string, paymentMethodId: string): Promise<StoredPaymentMethod | undefined> {
    const paymentMethod = this.paymentMethods.get(paymentMethodId);
    if (paymentMethod?.merchantId !== merchantId) return undefined;
    return { paymentMethod, sealedNumber: this.sealedNumbers.get(paymentMethodId) };
  }

  async getPaymentMethods(paymentMethodIds: readonly string[]): Promise<PaymentMethod[]> {
    return paymentMethodIds.flatMap((id) => this.paymentMethods.get(id) ?? []);
  }

  async eraseSealedNumber(paymentMethodId: string): Promise<void> {
    this.sealedNumbers.delete(paymentMethodId);
  }
}
