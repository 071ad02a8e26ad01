/**
 * Paying a checkout session (hosted/pay-checkout.ts) on the embedded DynamoDB: however many submissions race
 * on one checkout, one payment is created; and a checkout allows a few attempts only, so that a leaked link
 * cannot be used to test card after card.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { SessionStore } from '../../functions/adapters/session-store.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { StateConflictError } from '../../functions/core/errors.ts';
import { newId } from '../../functions/core/ids.ts';
import type { CardVault } from '../../functions/core/vault.ts';
import { payCheckout, type PayCheckoutDeps } from '../../functions/hosted/pay-checkout.ts';
import { MAX_CHECKOUT_ATTEMPTS, type Session } from '../../functions/hosted/session.ts';
import type { Transactions } from '../../functions/payments/ports.ts';
import { startTestTable, type TestTable } from '../support/dynamo.ts';
import { RecordingQueueSender } from '../support/recording-queue.ts';

const MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E';
const CARD = { card_number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2031, cvc: '123' };

let table: TestTable;
let sessions: SessionStore;
let transactions: TransactionRepository;
let baseDeps: Omit<PayCheckoutDeps, 'vault'>;

/**
 * A vault that holds the first payment it seals until `release()` is called: that payment stays between its
 * claim and its write. Any other payment seals at once (so a second one, wrongly let through, shows).
 */
function gatedVault(): { vault: CardVault; sealing: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  let reached = (): void => undefined;
  let heldRecord: string | undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sealing = new Promise<void>((resolve) => (reached = resolve));
  const vault: CardVault = {
    seal: async (plaintext, binding) => {
      heldRecord ??= binding.recordId;
      if (binding.recordId === heldRecord) {
        reached();
        await gate;
      }
      return `sealed:${binding.recordId}:${binding.field}:${plaintext.length}`;
    },
    open: async () => {
      throw new Error('not opened in this test');
    },
  };
  return { vault, sealing, release };
}

const openVault: CardVault = { seal: async (_plaintext, binding) => `sealed:${binding.recordId}:${binding.field}`, open: async () => '' };

async function openCheckout(id: string): Promise<void> {
  await sessions.create({ id, kind: 'checkout', merchantId: MERCHANT, checkout: { amount: 1500, currency: 'USD' } });
}

async function fresh(id: string): Promise<Session> {
  const session = await sessions.getOwned(MERCHANT, id);
  if (session === undefined) throw new Error(`no session ${id}`);
  return session;
}

async function transactionsOf(sessionId: string): Promise<unknown[]> {
  const { Items } = await table.db.send(new ScanCommand({ TableName: table.tableName }));
  return (Items ?? []).filter((item) => JSON.stringify(item).includes(`"checkout_session":"${sessionId}"`) && String(item.pk).startsWith('TXN'));
}

function codeOf(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'fulfilled') return 'paid';
  return outcome.reason instanceof StateConflictError ? outcome.reason.code : String(outcome.reason);
}

beforeAll(async () => {
  table = await startTestTable('checkout-payments-test');
  const outbox = new OutboxStore(table.db, table.tableName, new RecordingQueueSender());
  sessions = new SessionStore(table.db, table.tableName);
  transactions = new TransactionRepository(table.db, table.tableName, outbox);
  baseDeps = {
    transactions,
    sessions,
    fingerprints: { fingerprint: async () => 'fp_test' },
    customers: new CustomerRepository(table.db, table.tableName, outbox),
    orders: new OrderRepository(table.db, table.tableName, outbox),
    defaultCurrency: async () => 'USD',
    now: () => new Date(),
  };
});
afterAll(async () => table?.close());

describe('paying one checkout from many submissions at once', () => {
  it('creates one payment when others arrive while the first is still being written', async () => {
    await openCheckout('chk_RACE');
    const { vault, sealing, release } = gatedVault();
    const deps = { ...baseDeps, vault };

    const first = payCheckout(deps, await fresh('chk_RACE'), CARD, newId);
    await sealing;
    // The first has claimed its transaction and not written it yet: these see a claim with nothing behind it.
    const late = await Promise.allSettled(
      Array.from({ length: 7 }, async () => payCheckout(deps, await fresh('chk_RACE'), CARD, newId)),
    );
    release();
    const outcomes = [await Promise.allSettled([first]), late].flat();

    expect(outcomes.map(codeOf)).toEqual(['paid', ...Array.from({ length: 7 }, () => 'checkout_payment_in_progress')]);
    expect(await transactionsOf('chk_RACE')).toHaveLength(1);
  });

  it('lets a new attempt through once a claimed payment was never created and its claim has lapsed', async () => {
    await openCheckout('chk_LAPSED');
    const orphan = await fresh('chk_LAPSED');
    await sessions.claimPayment(orphan, undefined, 'txn_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const later = { ...baseDeps, vault: openVault, now: () => new Date(Date.now() + 61_000) };

    const paid = await payCheckout(later, await fresh('chk_LAPSED'), CARD, newId);

    expect(paid.status).toBe('pending');
  });
});

describe('a checkout link', () => {
  it(`allows ${MAX_CHECKOUT_ATTEMPTS} payment attempts, then refuses with checkout_attempts_exhausted`, async () => {
    await openCheckout('chk_ATTEMPTS');
    // Every attempt is declined: the customer (or a card tester) may try again, but not forever.
    const declining: Transactions = {
      create: (...args) => transactions.create(...args),
      apply: (...args) => transactions.apply(...args),
      republish: (id) => transactions.republish(id),
      acknowledge: (...args) => transactions.acknowledge(...args),
      get: (id) => transactions.get(id),
      getOwned: async (merchantId, id) => {
        const found = await transactions.getOwned(merchantId, id);
        return found === undefined ? undefined : { ...found, status: 'declined', declineCode: 'stolen_card' };
      },
    };
    const deps = { ...baseDeps, vault: openVault, transactions: declining };

    const outcomes: string[] = [];
    for (let attempt = 0; attempt <= MAX_CHECKOUT_ATTEMPTS; attempt += 1) {
      outcomes.push(codeOf((await Promise.allSettled([payCheckout(deps, await fresh('chk_ATTEMPTS'), CARD, newId)]))[0] as PromiseSettledResult<unknown>));
    }

    expect(outcomes).toEqual([...Array.from({ length: MAX_CHECKOUT_ATTEMPTS }, () => 'paid'), 'checkout_attempts_exhausted']);
    expect(await transactionsOf('chk_ATTEMPTS')).toHaveLength(MAX_CHECKOUT_ATTEMPTS);
  });

  it('cannot claim a payment past its attempts, even when the page read it before the last one', async () => {
    await openCheckout('chk_CAP');
    let previous: string | undefined;
    for (let attempt = 0; attempt < MAX_CHECKOUT_ATTEMPTS; attempt += 1) {
      const id = `txn_CAP_${attempt}`;
      await sessions.claimPayment(await fresh('chk_CAP'), previous, id);
      previous = id;
    }

    await expect(sessions.claimPayment(await fresh('chk_CAP'), previous, 'txn_CAP_LAST')).rejects.toThrow(StateConflictError);
    expect((await fresh('chk_CAP')).transactionId).toBe(previous);
  });
});
