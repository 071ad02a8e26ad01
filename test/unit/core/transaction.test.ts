import { describe, expect, it } from 'vitest';
import { InvalidRequestError, StateConflictError } from '../../../functions/core/errors.ts';
import {
  cancel,
  capture,
  createPendingTransaction,
  recordAuthorization,
  refund,
  settle,
  toPublicTransaction,
  transactionStatuses,
  type NewTransaction,
  type Transaction,
  type TransactionStatus,
  type Transition,
} from '../../../functions/core/transaction.ts';

const created = new Date('2026-03-15T12:00:00.000Z');
const later = new Date('2026-03-15T12:00:05.000Z');

function newTransaction(overrides: Partial<NewTransaction> = {}): NewTransaction {
  return {
    id: 'txn_01JQ0000000000000000000000',
    merchantId: 'mer_01JQ0000000000000000000000',
    amount: 1000,
    currency: 'EUR',
    captureMethod: 'manual',
    card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, fingerprint: 'fp_abc' },
    ...overrides,
  };
}

function pending(overrides: Partial<NewTransaction> = {}): Transaction {
  return createPendingTransaction(newTransaction(overrides), created).transaction;
}

/** A transaction as it would be in `status`, fully captured where that applies. */
function inStatus(status: TransactionStatus): Transaction {
  const base = pending();
  const captured = ['captured', 'settled', 'refunded'].includes(status) ? base.amount : 0;
  return { ...base, status, amountCaptured: captured, amountRefunded: status === 'refunded' ? captured : 0 };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('createPendingTransaction', () => {
  it('starts pending at version 1 and announces payment.pending', () => {
    // Act
    const { transaction, events } = createPendingTransaction(
      newTransaction({ customerId: 'cus_1', orderId: 'ord_1', description: 'Tea', metadata: { sku: 'T-1' } }),
      created,
    );

    // Assert
    expect(transaction).toMatchObject({
      status: 'pending',
      amount: 1000,
      currency: 'EUR',
      amountCaptured: 0,
      amountRefunded: 0,
      refunds: [],
      version: 1,
      createdAt: '2026-03-15T12:00:00.000Z',
      updatedAt: '2026-03-15T12:00:00.000Z',
    });
    expect(events).toEqual([{ type: 'payment.pending', data: toPublicTransaction(transaction) }]);
  });

  it.each([
    [{ currency: 'eur' }, 'invalid_currency'],
    [{ currency: 'XAU' }, 'invalid_currency'],
    [{ amount: 0 }, 'invalid_amount'],
    [{ amount: 100_000_000 }, 'invalid_amount'],
  ])('refuses %j', (overrides, code) => {
    // Act
    const error = thrown(() => createPendingTransaction(newTransaction(overrides), created));

    // Assert
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code });
  });
});

describe('recordAuthorization', () => {
  it('stops at authorized when capture is manual', () => {
    // Act
    const { transaction, events } = recordAuthorization(pending(), { outcome: 'approved', authorizationCode: 'A1B2C3' }, later);

    // Assert
    expect(transaction).toMatchObject({
      status: 'authorized',
      amountCaptured: 0,
      authorizationCode: 'A1B2C3',
      updatedAt: later.toISOString(),
      version: 2,
    });
    expect(events.map((event) => event.type)).toEqual(['payment.authorized']);
  });

  it('goes on to captured in the same step when capture is automatic, announcing both', () => {
    // Act
    const { transaction, events } = recordAuthorization(
      pending({ captureMethod: 'automatic' }),
      { outcome: 'approved', authorizationCode: 'A1B2C3' },
      later,
    );

    // Assert
    expect(transaction).toMatchObject({ status: 'captured', amountCaptured: 1000, version: 2 });
    expect(events.map((event) => [event.type, event.data.status, event.data.amount_captured])).toEqual([
      ['payment.authorized', 'authorized', 0],
      ['payment.captured', 'captured', 1000],
    ]);
  });

  it('records a decline with its reason', () => {
    // Act
    const { transaction, events } = recordAuthorization(pending(), { outcome: 'declined', declineCode: 'insufficient_funds' }, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds', version: 2 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'payment.declined', data: { status: 'declined', decline_code: 'insufficient_funds' } });
  });

  it('records a failure with its reason', () => {
    // Act
    const { transaction, events } = recordAuthorization(pending(), { outcome: 'failed', failureCode: 'processing_error' }, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'failed', failureCode: 'processing_error' });
    expect(events[0]).toMatchObject({ type: 'payment.failed', data: { failure_code: 'processing_error', decline_code: null } });
  });
});

describe('the state machine', () => {
  const actions = {
    authorize: (txn) => recordAuthorization(txn, { outcome: 'approved', authorizationCode: 'A1B2C3' }, later),
    decline: (txn) => recordAuthorization(txn, { outcome: 'declined', declineCode: 'generic_decline' }, later),
    fail: (txn) => recordAuthorization(txn, { outcome: 'failed', failureCode: 'processing_error' }, later),
    capture: (txn) => capture(txn, undefined, later),
    cancel: (txn) => cancel(txn, later),
    refund: (txn) => refund(txn, { id: 're_1' }, later),
    settle: (txn) => settle(txn, later),
  } satisfies Record<string, (txn: Transaction) => Transition>;
  type Action = keyof typeof actions;
  const allowed: Record<TransactionStatus, readonly Action[]> = {
    pending: ['authorize', 'decline', 'fail', 'cancel'],
    authorized: ['capture', 'cancel'],
    captured: ['refund', 'settle'],
    settled: ['refund'],
    declined: [],
    failed: [],
    canceled: [],
    refunded: [],
  };
  const cases = transactionStatuses.flatMap((status) =>
    (Object.keys(actions) as Action[]).map((action) => [status, action, allowed[status].includes(action)] as const),
  );

  it.each(cases.filter(([, , ok]) => ok))('lets a %s transaction %s', (status, action) => {
    // Arrange
    const txn = inStatus(status);

    // Act
    const { transaction, events } = actions[action](txn);

    // Assert
    expect(transaction.version).toBe(txn.version + 1);
    expect(events.length).toBeGreaterThan(0);
  });

  it.each(cases.filter(([, , ok]) => !ok))('refuses to let a %s transaction %s, naming its status', (status, action) => {
    // Arrange
    const txn = inStatus(status);

    // Act
    const error = thrown(() => actions[action](txn));

    // Assert
    expect(error).toBeInstanceOf(StateConflictError);
    expect(error).toMatchObject({ kind: 'conflict', code: 'transaction_state_invalid' });
    expect((error as Error).message).toContain(`This transaction is ${status}`);
  });

  it('tells the caller which status the move needs', () => {
    // Act
    const error = thrown(() => cancel(inStatus('captured'), later));

    // Assert
    expect((error as Error).message).toBe('This transaction is captured; only a transaction that is pending or authorized can be canceled.');
  });

  it('announces cancel and settle', () => {
    // Act
    const canceled = cancel(inStatus('authorized'), later);
    const settled = settle(inStatus('captured'), later);

    // Assert
    expect(canceled.transaction.status).toBe('canceled');
    expect(canceled.events.map((event) => event.type)).toEqual(['payment.canceled']);
    expect(settled.transaction.status).toBe('settled');
    expect(settled.events.map((event) => event.type)).toEqual(['payment.settled']);
  });
});

describe('capture', () => {
  it('captures the whole authorization by default', () => {
    // Act
    const { transaction, events } = capture(inStatus('authorized'), undefined, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'captured', amount: 1000, amountCaptured: 1000 });
    expect(events[0]).toMatchObject({ type: 'payment.captured', data: { amount_captured: 1000 } });
  });

  it('captures part of it and releases the rest', () => {
    // Act
    const { transaction } = capture(inStatus('authorized'), 600, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'captured', amount: 1000, amountCaptured: 600 });
  });

  it.each([1, 1000])('accepts %i, within the authorization', (amount) => {
    // Act / Assert
    expect(capture(inStatus('authorized'), amount, later).transaction.amountCaptured).toBe(amount);
  });

  it.each([1001, 0, -5, 10.5])('refuses %i', (amount) => {
    // Act
    const error = thrown(() => capture(inStatus('authorized'), amount, later));

    // Assert
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    expect((error as Error).message).toContain('from 1 to 1000');
  });

  it.each([1, 999])('refuses to capture %i of a payment for an order: capturing it pays the order', (amount) => {
    // Arrange
    const forOrder: Transaction = { ...inStatus('authorized'), orderId: 'ord_1' };

    // Act
    const error = thrown(() => capture(forOrder, amount, later));

    // Assert
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'partial_capture_of_order', param: 'amount' });
  });

  it('captures a payment for an order whole, with or without the amount named', () => {
    // Arrange
    const forOrder: Transaction = { ...inStatus('authorized'), orderId: 'ord_1' };

    // Act / Assert
    expect(capture(forOrder, undefined, later).transaction.amountCaptured).toBe(1000);
    expect(capture(forOrder, 1000, later).transaction.amountCaptured).toBe(1000);
  });
});

describe('refund', () => {
  it('refunds part and keeps the transaction captured', () => {
    // Act
    const { transaction, events } = refund(inStatus('captured'), { id: 're_1', amount: 300 }, later);

    // Assert
    expect(transaction).toMatchObject({
      status: 'captured',
      amountRefunded: 300,
      refunds: [{ id: 're_1', amount: 300, createdAt: later.toISOString() }],
    });
    expect(events[0]).toMatchObject({
      type: 'payment.refunded',
      data: { amount_refunded: 300, refunds: [{ refund_id: 're_1', amount: 300, currency: 'EUR' }] },
    });
  });

  it('becomes refunded when the refunds reach what was captured', () => {
    // Arrange
    const first = refund(inStatus('captured'), { id: 're_1', amount: 300 }, later).transaction;

    // Act
    const { transaction } = refund(first, { id: 're_2', amount: 700 }, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'refunded', amountRefunded: 1000, version: first.version + 1 });
    expect(transaction.refunds.map((entry) => entry.amount)).toEqual([300, 700]);
  });

  it('refunds what is left when no amount is given', () => {
    // Arrange
    const partlyRefunded = refund(inStatus('settled'), { id: 're_1', amount: 250 }, later).transaction;

    // Act
    const { transaction } = refund(partlyRefunded, { id: 're_2' }, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
    expect(transaction.refunds[1]?.amount).toBe(750);
  });

  it('keeps a settled transaction settled after a partial refund', () => {
    // Act
    const { transaction } = refund(inStatus('settled'), { id: 're_1', amount: 1 }, later);

    // Assert
    expect(transaction).toMatchObject({ status: 'settled', amountRefunded: 1 });
  });

  it('refunds at most what a partial capture took', () => {
    // Arrange
    const captured = capture(inStatus('authorized'), 600, later).transaction;

    // Act
    const error = thrown(() => refund(captured, { id: 're_1', amount: 601 }, later));
    const full = refund(captured, { id: 're_1' }, later).transaction;

    // Assert
    expect(error).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    expect((error as Error).message).toContain('from 1 to 600');
    expect(full).toMatchObject({ status: 'refunded', amountRefunded: 600 });
  });

  it.each([0, -1, 2.5])('refuses %i', (amount) => {
    // Act
    const error = thrown(() => refund(inStatus('captured'), { id: 're_1', amount }, later));

    // Assert
    expect(error).toMatchObject({ code: 'invalid_amount' });
  });

  it('refuses more than is left after earlier refunds', () => {
    // Arrange
    const partlyRefunded = refund(inStatus('captured'), { id: 're_1', amount: 900 }, later).transaction;

    // Act
    const error = thrown(() => refund(partlyRefunded, { id: 're_2', amount: 101 }, later));

    // Assert
    expect(error).toMatchObject({ code: 'invalid_amount' });
    expect((error as Error).message).toContain('from 1 to 100');
  });

  it('changes nothing when the same refund is applied again', () => {
    // Arrange
    const refunded = refund(inStatus('captured'), { id: 're_1' }, later).transaction;

    // Act
    const again = refund(refunded, { id: 're_1' }, later);

    // Assert
    expect(again.transaction).toBe(refunded);
    expect(again.events).toEqual([]);
  });
});

describe('toPublicTransaction', () => {
  it('shows the merchant snake_case fields, nulls for what is absent, and date = created', () => {
    // Act
    const view = toPublicTransaction(pending());

    // Assert
    expect(view).toEqual({
      transaction_id: 'txn_01JQ0000000000000000000000',
      merchant_id: 'mer_01JQ0000000000000000000000',
      status: 'pending',
      amount: 1000,
      currency: 'EUR',
      amount_captured: 0,
      amount_refunded: 0,
      capture: 'manual',
      customer_id: null,
      order_id: null,
      description: null,
      metadata: {},
      card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, fingerprint: 'fp_abc' },
      decline_code: null,
      failure_code: null,
      refunds: [],
      created: '2026-03-15T12:00:00.000Z',
      updated: '2026-03-15T12:00:00.000Z',
      date: '2026-03-15T12:00:00.000Z',
    });
  });

  it('keeps the internal version and authorization code to itself', () => {
    // Arrange
    const authorized = recordAuthorization(pending(), { outcome: 'approved', authorizationCode: 'A1B2C3' }, later).transaction;

    // Act
    const json = JSON.stringify(toPublicTransaction(authorized));

    // Assert
    expect(json).not.toContain('A1B2C3');
    expect(json).not.toContain('version');
  });
});
