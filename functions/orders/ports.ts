/**
 * What the order use cases need from the outside world. The DynamoDB order repository
 * (functions/adapters/order-repository.ts) implements Orders; the transaction repository fits PaymentLookup;
 * tests may substitute their own.
 */
import type { Order, OrderEvent } from '../core/order.ts';
import type { Transaction } from '../core/transaction.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';

export interface Orders {
  create(order: Order): Promise<WriteOutcome>;
  apply(previous: Order, next: Order, events?: readonly OrderEvent[]): Promise<WriteOutcome>;
  get(orderId: string): Promise<Order | undefined>;
  getOwned(merchantId: string, orderId: string): Promise<Order | undefined>;
}

/** The payments an order's claim may be checked against. */
export interface PaymentLookup {
  get(transactionId: string): Promise<{ readonly transaction: Transaction } | undefined>;
}
