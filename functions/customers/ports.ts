/**
 * What the customer use cases need from the outside world. The DynamoDB repository implements
 * these (functions/adapters/customer-repository.ts); tests may substitute their own.
 */
import type { Customer, CustomerTransition, PaymentMethod } from '../core/customer.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';

export type { CardFingerprinter, CardVault } from '../core/vault.ts';

/** A saved card with what only the vault may open. */
export interface StoredPaymentMethod {
  readonly paymentMethod: PaymentMethod;
  /** Sealed for `{ merchantId, recordId: paymentMethod.id, field: 'number' }`; gone once the card is detached. */
  readonly sealedNumber: string | undefined;
}

export interface Customers {
  create(transition: CustomerTransition): Promise<WriteOutcome>;
  apply(previous: Customer, transition: CustomerTransition): Promise<WriteOutcome>;
  getOwned(merchantId: string, customerId: string): Promise<Customer | undefined>;
  savePaymentMethod(paymentMethod: PaymentMethod, sealedNumber: string): Promise<WriteOutcome>;
  getOwnedPaymentMethod(merchantId: string, paymentMethodId: string): Promise<StoredPaymentMethod | undefined>;
  getPaymentMethods(paymentMethodIds: readonly string[]): Promise<PaymentMethod[]>;
  eraseSealedNumber(paymentMethodId: string): Promise<void>;
}
