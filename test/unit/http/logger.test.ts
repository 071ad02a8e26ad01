import { afterEach, describe, expect, it } from 'vitest';
import { logger, REDACTED, redactCardText } from '../../../functions/observability/logger.ts';
import { captureLogs } from './capture-logs.ts';

describe('the logger', () => {
  afterEach(() => logger.resetKeys());

  it('writes no card number or CVC, wherever they hide in a log line', async () => {
    const output = await captureLogs(() => {
      logger.appendKeys({ last_request: { card_number: '4242 4242 4242 4242' } });
      logger.info('charging card 4242 4242 4242 4242 now', {
        payment: { amount: 100, card: { number: '4242424242424242', cvc: '123' } },
        raw_body: '{"card_number":"4242-4242-4242-4242","cvc":"123"}',
        attempts: [{ note: 'retry with 4242424242424242' }],
        pan: 4242424242424242,
        cvv: '987',
      });
      logger.error('authorization failed', new Error('processor refused 4242 4242 4242 4242'));
    });

    expect(output).toContain('charging card');
    expect(output).toContain('authorization failed');
    expect(output).toContain(REDACTED);
    expect(output.replace(/[\s-]/g, '')).not.toContain('4242424242424242');
    expect(output).not.toMatch(/"(cvc|cvv)":"\d+"/);
    expect(output).not.toContain('987');
  });

  it('keeps numbers that are not card numbers', async () => {
    const output = await captureLogs(() => logger.info('order 1234567890123 for 1050 minor units', { amount: 1050, last4: '4242' }));

    expect(output).toContain('order 1234567890123');
    expect(output).toContain('"amount":1050');
    expect(output).toContain('"last4":"4242"');
  });
});

describe('redactCardText', () => {
  it('redacts a CVC named in text', () => {
    expect(redactCardText('{"cvc":"123"} cvv2=4567')).toBe('{"cvc":"[REDACTED]"} cvv2=[REDACTED]');
  });

  it.each([
    ['4242 4242 4242 4242', 'Visa with spaces'],
    ['5555-5555-5555-4444', 'Mastercard with dashes'],
    ['378282246310005', 'Amex'],
    ['x4000000000009995y', 'inside a word'],
    ['99 4242424242424242', 'after other digits'],
  ])('redacts %s (%s)', (text) => {
    expect(redactCardText(text)).not.toMatch(/\d{4}[ -]?\d{4}[ -]?\d{4}/);
  });

  it('leaves a 16-digit run that fails Luhn', () => {
    expect(redactCardText('ref 4242424242424241')).toBe('ref 4242424242424241');
  });
});
