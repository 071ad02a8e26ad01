import { describe, expect, it } from 'vitest';
import { InMemoryAuthorizationLedger, SandboxProcessor } from '../../../functions/adapters/sandbox-processor.ts';
import {
  ProcessorUnavailableError,
  type AuthorizationLedger,
  type AuthorizationRequest,
  type AuthorizationResult,
} from '../../../functions/core/processor.ts';

function request(number: string, reference = 'txn_01JQ0000000000000000000001'): AuthorizationRequest {
  return { reference, amount: 1000, currency: 'EUR', card: { number, expMonth: 12, expYear: 2030, cvc: '123' } };
}

/** A ledger that counts what it is asked to record, to show each reference is authorized once. */
class CountingLedger implements AuthorizationLedger {
  readonly inner = new InMemoryAuthorizationLedger();
  records = 0;

  find(reference: string): Promise<AuthorizationResult | undefined> {
    return this.inner.find(reference);
  }

  record(reference: string, result: AuthorizationResult): Promise<AuthorizationResult> {
    this.records += 1;
    return this.inner.record(reference, result);
  }
}

describe('the sandbox processor', () => {
  it.each([
    ['4242424242424242', 'Visa'],
    ['5555555555554444', 'Mastercard'],
    ['378282246310005', 'Amex'],
    ['4111111111111111', 'another Luhn-valid Visa'],
    ['6011111111111117', 'a Luhn-valid Discover'],
  ])('approves %s (%s) with an authorization code', async (number) => {
    // Arrange
    const sandbox = new SandboxProcessor(new InMemoryAuthorizationLedger());

    // Act
    const result = await sandbox.authorize(request(number));

    // Assert
    expect(result).toEqual({ outcome: 'approved', authorizationCode: expect.stringMatching(/^[0-9A-Z]{6}$/) });
  });

  it.each([
    ['4000000000000002', 'generic_decline'],
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000009987', 'lost_card'],
    ['4000000000009979', 'stolen_card'],
    ['4000000000000069', 'expired_card'],
    ['4000000000000127', 'incorrect_cvc'],
    ['4242424242424241', 'incorrect_number'],
  ])('declines %s with %s', async (number, declineCode) => {
    // Arrange
    const sandbox = new SandboxProcessor(new InMemoryAuthorizationLedger());

    // Act
    const result = await sandbox.authorize(request(number));

    // Assert
    expect(result).toEqual({ outcome: 'declined', declineCode });
  });

  it('fails 4000 0000 0000 0119 with a processing error on every try, recording nothing', async () => {
    // Arrange
    const ledger = new InMemoryAuthorizationLedger();
    const sandbox = new SandboxProcessor(ledger);

    // Act
    const tries = await Promise.allSettled([1, 2, 3].map(() => sandbox.authorize(request('4000000000000119'))));

    // Assert
    for (const attempt of tries) {
      expect(attempt.status).toBe('rejected');
      const reason: unknown = attempt.status === 'rejected' ? attempt.reason : undefined;
      expect(reason).toBeInstanceOf(ProcessorUnavailableError);
      expect(reason).toMatchObject({ reason: 'processing_error' });
    }
    expect(await ledger.find('txn_01JQ0000000000000000000001')).toBeUndefined();
  });

  it('answers a repeated reference with the first answer, authorizing once, even after a restart', async () => {
    // Arrange
    const ledger = new CountingLedger();
    const first = await new SandboxProcessor(ledger).authorize(request('4242424242424242'));

    // Act: the same payment redelivered to a fresh process
    const again = await new SandboxProcessor(ledger).authorize(request('4242424242424242'));

    // Assert
    expect(again).toEqual(first);
    expect(ledger.records).toBe(1);
  });

  it('keeps the first answer for a reference even if a retry carries another card', async () => {
    // Arrange
    const sandbox = new SandboxProcessor(new InMemoryAuthorizationLedger());
    await sandbox.authorize(request('4000000000009995'));

    // Act
    const retried = await sandbox.authorize(request('4242424242424242'));

    // Assert
    expect(retried).toEqual({ outcome: 'declined', declineCode: 'insufficient_funds' });
  });

  it('gives racing requests for one reference the same answer', async () => {
    // Arrange
    const sandbox = new SandboxProcessor(new InMemoryAuthorizationLedger());

    // Act
    const [a, b] = await Promise.all([sandbox.authorize(request('4242424242424242')), sandbox.authorize(request('4242424242424242'))]);

    // Assert
    expect(a).toEqual(b);
  });

  it('authorizes different references separately', async () => {
    // Arrange
    const ledger = new CountingLedger();
    const sandbox = new SandboxProcessor(ledger);

    // Act
    await sandbox.authorize(request('4242424242424242', 'txn_a'));
    await sandbox.authorize(request('4242424242424242', 'txn_b'));

    // Assert
    expect(ledger.records).toBe(2);
  });
});

describe('the in-memory authorization ledger', () => {
  it('keeps the first result recorded for a reference', async () => {
    // Arrange
    const ledger = new InMemoryAuthorizationLedger();
    const first: AuthorizationResult = { outcome: 'approved', authorizationCode: 'AAAAAA' };

    // Act
    await ledger.record('txn_a', first);
    const second = await ledger.record('txn_a', { outcome: 'declined', declineCode: 'generic_decline' });

    // Assert
    expect(second).toEqual(first);
    expect(await ledger.find('txn_a')).toEqual(first);
    expect(await ledger.find('txn_b')).toBeUndefined();
  });
});
