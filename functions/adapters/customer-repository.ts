/**
 * Customers and their saved cards in DynamoDB.
 *
 * The customer's item holds its attached cards' ids and its default; every change to them is one conditional
 * write on its version, with its events in the item's outbox (see outbox.ts). A saved card's item holds the
 * card's public data and its sealed number, written once; detaching a card erases its sealed number.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { Customer, CustomerTransition, PaymentMethod } from '../core/customer.ts';
import type { WriteOutcome } from '../core/write-outcome.ts';
import type { Customers, StoredPaymentMethod } from '../customers/ports.ts';
import { keys, newEventIdAbout } from './keys.ts';
import { OutboxStore, eventEntry, type OutboxEntry } from './outbox.ts';
import { storedCard } from './card-item.ts';
import { itemSchemaOf, parseItem } from './item-schema.ts';

export class CustomerRepository implements Customers {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly outbox: OutboxStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the customer with its events, unless one with its id exists ('condition_failed': a retried request). */
  async create(transition: CustomerTransition): Promise<WriteOutcome> {
    const { customer } = transition;
    const entries = this.entriesFor(transition);
    const outcome = await this.outbox.create({ ...keys.customer(customer.id), ...withoutVersion(customer) }, entries);
    if (outcome === 'written') await this.outbox.publishAndClear(keys.customer(customer.id), entries, 1);
    return outcome;
  }

  /** Writes a change computed from `previous`, on the condition that nobody changed the customer meanwhile. */
  async apply(previous: Customer, transition: CustomerTransition): Promise<WriteOutcome> {
    if (transition.customer === previous) return 'written';
    const next = transition.customer;
    const entries = this.entriesFor(transition);
    const outcome = await this.outbox.update({
      key: keys.customer(next.id),
      // Explicitly undefined: a default that is gone must be removed from the item, not left behind.
      set: { ...withoutVersion(next), defaultPaymentMethodId: next.defaultPaymentMethodId },
      expectedVersion: previous.version,
      entries,
      sweepable: true,
    });
    if (outcome === 'written') await this.outbox.publishAndClear(keys.customer(next.id), entries, previous.version + 1);
    return outcome;
  }

  async get(customerId: string): Promise<Customer | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.customer(customerId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : parseItem(storedCustomer, Item, 'customer');
  }

  /** The customer if it exists AND belongs to the merchant; otherwise undefined, indistinguishably. */
  async getOwned(merchantId: string, customerId: string): Promise<Customer | undefined> {
    const customer = await this.get(customerId);
    return customer?.merchantId === merchantId ? customer : undefined;
  }

  /** Stores a new saved card (not yet attached); 'condition_failed' when its id exists (a retried request). */
  async savePaymentMethod(paymentMethod: PaymentMethod, sealedNumber: string): Promise<WriteOutcome> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.paymentMethod(paymentMethod.id), ...paymentMethod, sealed_number: sealedNumber },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'condition_failed';
      throw error;
    }
  }

  async getPaymentMethod(paymentMethodId: string): Promise<StoredPaymentMethod | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.paymentMethod(paymentMethodId), ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const { sealed_number, ...paymentMethod } = parseItem(storedPaymentMethod, Item, 'saved card');
    return { paymentMethod, sealedNumber: sealed_number };
  }

  /** The saved card if it exists AND belongs to the merchant; otherwise undefined, indistinguishably. */
  async getOwnedPaymentMethod(merchantId: string, paymentMethodId: string): Promise<StoredPaymentMethod | undefined> {
    const stored = await this.getPaymentMethod(paymentMethodId);
    return stored?.paymentMethod.merchantId === merchantId ? stored : undefined;
  }

  /** Saved cards by id, in the order asked; ids without an item are left out. */
  async getPaymentMethods(paymentMethodIds: readonly string[]): Promise<PaymentMethod[]> {
    const stored = await Promise.all(paymentMethodIds.map((id) => this.getPaymentMethod(id)));
    return stored.flatMap((entry) => (entry === undefined ? [] : [entry.paymentMethod]));
  }

  /**
   * Erases a detached card's sealed number: it can never be charged again, and no card data outlives its use.
   * Runs after the detaching write; a retried DELETE runs it again if a crash came between the two.
   */
  async eraseSealedNumber(paymentMethodId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.paymentMethod(paymentMethodId),
          UpdateExpression: 'REMOVE sealed_number SET detached_at = if_not_exists(detached_at, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': this.clock().toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private entriesFor(transition: CustomerTransition): OutboxEntry[] {
    const created = this.clock().toISOString();
    const merchantId = transition.customer.merchantId;
    return transition.events.map((event) =>
      eventEntry({ id: newEventIdAbout(transition.customer.id), type: event.type, merchantId, created, data: { ...event.data } }),
    );
  }
}

function withoutVersion<Resource extends { readonly version: number }>(resource: Resource): Omit<Resource, 'version'> {
  const { version: _version, ...rest } = resource;
  return rest;
}

/** The customer as its item holds it; the item's keys and outbox are left out. */
const storedCustomer = itemSchemaOf<Customer>()(
  z.object({
    id: z.string(),
    merchantId: z.string(),
    email: z.string().optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    metadata: z.record(z.string(), z.string()),
    paymentMethodIds: z.array(z.string()),
    defaultPaymentMethodId: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  }),
);

/** A saved card's item: the card, and its sealed number until it is detached (`eraseSealedNumber`). */
const storedPaymentMethod = itemSchemaOf<PaymentMethod>()(
  z.object({
    id: z.string(),
    merchantId: z.string(),
    customerId: z.string(),
    card: storedCard,
    createdAt: z.string(),
  }),
).extend({ sealed_number: z.string().optional() });
