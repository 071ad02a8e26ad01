import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../functions/core/errors.ts';
import { formatAmount, requireAmount, requireCurrency } from '../../../functions/core/money.ts';

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('requireCurrency', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['XOF', 0],
    ['BHD', 3],
  ])('knows %s has %i decimals', (code, exponent) => {
    // Act
    const currency = requireCurrency(code);

    // Assert
    expect(currency).toMatchObject({ code, exponent });
    expect(currency.name.length).toBeGreaterThan(0);
  });

  it.each(['usd', 'Usd', 'US', 'USDD', '', 'ABC', '840'])('refuses %j as a currency code', (code) => {
    // Act
    const error = thrown(() => requireCurrency(code));

    // Assert
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'invalid_currency', param: 'currency' });
  });

  it.each(['XAU', 'XAG', 'XPT', 'XPD', 'XTS', 'XXX', 'XDR', 'XBA', 'XUA', 'XSU', 'BOV', 'CLF', 'USN', 'UYI', 'UYW'])(
    'refuses %s, which is no money a card is charged in',
    (code) => {
      // Act
      const error = thrown(() => requireCurrency(code));

      // Assert
      expect(error).toMatchObject({ code: 'invalid_currency' });
    },
  );

  it('names the field the caller chose', () => {
    // Act
    const error = thrown(() => requireCurrency('ZZZ', 'default_currency'));

    // Assert
    expect(error).toMatchObject({ param: 'default_currency' });
  });
});

describe('requireAmount', () => {
  const usd = requireCurrency('USD');
  const jpy = requireCurrency('JPY');
  const kwd = requireCurrency('KWD');

  it.each([
    [1, usd],
    [99_999_999, usd],
    [1, jpy],
    [99_999_999, jpy],
    [1, kwd],
    [99_999_999, kwd],
  ])('accepts %i minor units at the bounds', (amount, currency) => {
    // Act / Assert
    expect(requireAmount(amount, currency)).toBe(amount);
  });

  it.each([0, -1, 100_000_000, 10.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null, undefined, true])(
    'refuses %j',
    (amount) => {
      // Act
      const error = thrown(() => requireAmount(amount, usd));

      // Assert
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ code: 'invalid_amount', param: 'amount' });
    },
  );

  it('states both bounds, in the currency itself', () => {
    // Act
    const usdError = thrown(() => requireAmount(0, usd));
    const jpyError = thrown(() => requireAmount(0, jpy));

    // Assert
    expect((usdError as Error).message).toContain('from 1 to 99999999');
    expect((usdError as Error).message).toContain('0.01 USD to 999999.99 USD');
    expect((jpyError as Error).message).toContain('1 JPY to 99999999 JPY');
  });
});

describe('formatAmount', () => {
  it.each([
    [1500, 'KWD', '1.500 KWD'],
    [500, 'JPY', '500 JPY'],
    [1050, 'USD', '10.50 USD'],
    [1, 'USD', '0.01 USD'],
    [5, 'KWD', '0.005 KWD'],
    [99_999_999, 'EUR', '999999.99 EUR'],
    [-250, 'EUR', '-2.50 EUR'],
    [0, 'USD', '0.00 USD'],
  ])('writes %i %s as %s', (amount, code, expected) => {
    // Act / Assert
    expect(formatAmount(amount, requireCurrency(code))).toBe(expected);
  });
});
