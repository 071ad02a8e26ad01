/**
 * The hosted pages' card checks (pages/assets/card.js), run under Node: they must agree with the server's
 * (functions/core/card.ts) on the sandbox cards, and explain what is wrong without a round trip.
 */
import { describe, expect, it } from 'vitest';
import { checkCard } from '../../../functions/core/card.ts';
import {
  checkCvc,
  checkExpiry,
  checkNumber,
  detectBrand,
  formatCardNumber,
  formatExpiry,
  parseExpiry,
  passesLuhn,
} from '../../../pages/assets/card.js';

const NOW = new Date('2030-06-15T12:00:00Z');
const SANDBOX_CARDS = ['4242424242424242', '5555555555554444', '378282246310005', '4000000000000002', '4000000000009995', '4000000000000119'];

describe('card numbers', () => {
  it('accepts every sandbox card, as the server does', () => {
    for (const number of SANDBOX_CARDS) {
      const page = checkNumber(number);
      const server = checkCard({ number, expMonth: 12, expYear: 2031 }, NOW, { number: 'n', expiry: 'e', cvc: 'c' });

      expect(page.valid, number).toBe(true);
      expect(page.brand, number).toBe(server.brand);
    }
  });

  it('names the brand from the first digits', () => {
    expect(detectBrand('4')?.brand).toBe('visa');
    expect(detectBrand('5555')?.brand).toBe('mastercard');
    expect(detectBrand('2221 00')?.brand).toBe('mastercard');
    expect(detectBrand('37')?.brand).toBe('amex');
    expect(detectBrand('6011')?.brand).toBe('discover');
    expect(detectBrand('9')).toBeUndefined();
  });

  it('refuses a number that fails Luhn, and says so only once the number is complete', () => {
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(checkNumber('4242 4242 4242 4241')).toMatchObject({ valid: false, complete: true, message: expect.stringMatching(/incorrect/) });
    expect(checkNumber('4242 4242')).toMatchObject({ valid: false, complete: false });
  });

  it('refuses letters, and a length the brand does not have', () => {
    expect(checkNumber('4242 abcd')).toMatchObject({ valid: false, message: 'Use digits only.' });
    expect(checkNumber('3782 822463 1000')).toMatchObject({ valid: false, brand: 'amex' });
  });

  it('groups the digits as the card prints them', () => {
    expect(formatCardNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatCardNumber('4242-4242')).toBe('4242 4242');
  });
});

describe('expiry', () => {
  it('reads MM/YY and MM/YYYY', () => {
    expect(parseExpiry('12 / 31')).toEqual({ month: 12, year: 2031 });
    expect(parseExpiry('07/2032')).toEqual({ month: 7, year: 2032 });
    expect(parseExpiry('13/31')).toBeNull();
    expect(formatExpiry('1231')).toBe('12 / 31');
  });

  it('accepts this month, refuses last month and absurd years, in UTC like the server', () => {
    expect(checkExpiry('06/30', NOW).valid).toBe(true);
    expect(checkExpiry('05/30', NOW)).toMatchObject({ valid: false, message: 'This card has expired.' });
    expect(checkExpiry('01/99', NOW).valid).toBe(false);
  });
});

describe('security code', () => {
  it('wants 4 digits for Amex and 3 for the others', () => {
    expect(checkCvc('1234', 'amex').valid).toBe(true);
    expect(checkCvc('123', 'amex').valid).toBe(false);
    expect(checkCvc('123', 'visa').valid).toBe(true);
    expect(checkCvc('1234', 'visa')).toMatchObject({ valid: false, message: 'The security code has 3 digits.' });
    expect(checkCvc('12a', 'visa').valid).toBe(false);
  });
});
