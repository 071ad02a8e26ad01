import { describe, expect, it } from 'vitest';
import { SandboxProcessor } from '../../../functions/adapters/sandbox-processor.ts';
import { ProcessorUnavailableError, type AuthorizationRequest } from '../../../functions/core/processor.ts';

function request(number: string, reference = 'txn_01JQ0000000000000000000001'): AuthorizationRequest {
  return { reference, amount: 1000, currency: 'EUR', card: { number, expMonth: 12, expYear: 2030, cvc: '123' } };
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
    const sandbox = new SandboxProcessor();

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
    const sandbox = new SandboxProcessor();

    // Act
    const result = await sandbox.authorize(request(number));

    // Assert
    expect(result).toEqual({ outcome: 'declined', declineCode });
  });

  it('fails 4000 0000 0000 0119 with a processing error on every try', async () => {
    // Arrange
    const sandbox = new SandboxProcessor();

    // Act
    const tries = await Promise.allSettled([1, 2, 3].map(() => sandbox.authorize(request('4000000000000119'))));

    // Assert
    for (const attempt of tries) {
      expect(attempt.status).toBe('rejected');
      const reason: unknown = attempt.status === 'rejected' ? attempt.reason : undefined;
      expect(reason).toBeInstanceOf(ProcessorUnavailableError);
      expect(reason).toMatchObject({ reason: 'processing_error' });
    }
  });

  it('answers a repeated reference with the first answer, approval code included, even from a fresh process', async () => {
    // Arrange
    const first = await new SandboxProcessor().authorize(request('4242424242424242'));

    // Act: the same payment redelivered to a fresh process
    const again = await new SandboxProcessor().authorize(request('4242424242424242'));

    // Assert
    expect(again).toEqual(first);
  });

  it('gives racing requests for one reference the same answer', async () => {
    // Arrange
    const sandbox = new SandboxProcessor();

    // Act
    const [a, b] = await Promise.all([sandbox.authorize(request('4242424242424242')), sandbox.authorize(request('4242424242424242'))]);

    // Assert
    expect(a).toEqual(b);
  });

  it('authorizes different references separately, each with its own approval code', async () => {
    // Arrange
    const sandbox = new SandboxProcessor();

    // Act
    const codes = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const result = await sandbox.authorize(request('4242424242424242', `txn_${i}`));
      if (result.outcome === 'approved') codes.add(result.authorizationCode);
    }

    // Assert: 20 references, 20 authorizations; codes of 6 characters from 35 rarely collide.
    expect(codes.size).toBeGreaterThanOrEqual(19);
  });
});
