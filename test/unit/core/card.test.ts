import { describe, expect, it } from 'vitest';
import { checkCard, last4, normalizeCardNumber, parseExpiry, type CardInput } from '../../../functions/core/card.ts';
import { CardError } from '../../../functions/core/errors.ts';

const params = { number: 'card_number', expiry: 'expiration_date', cvc: 'cvc' };
const now = new Date('2026-03-15T12:00:00Z');

function thrown(action: () => unknown): CardError {
  try {
    action();
  } catch (error) {
    if (error instanceof CardError) return error;
    throw error;
  }
  throw new Error('expected a CardError');
}

function card(overrides: Partial<CardInput> = {}): CardInput {
  return { number: '4242424242424242', expMonth: 12, expYear: 2030, ...overrides };
}

describe('normalizeCardNumber', () => {
  it.each(['4242-4242-4242-4242', '4242 4242 4242 4242', ' 4242424242424242 ', '4242\t4242-4242 4242'])(
    'ignores spaces and dashes in %j',
    (raw) => {
      // Act / Assert
      expect(normalizeCardNumber(raw)).toBe('4242424242424242');
    },
  );

  it.each(['4242.4242.4242.4242', '4242/4242/4242/4242', '4242424242424242a', '', ' - ', '４２４２４２４２４２４２４２４２'])(
    'refuses %j without echoing it',
    (raw) => {
      // Act
      const error = thrown(() => normalizeCardNumber(raw));

      // Assert
      expect(error).toMatchObject({ code: 'invalid_number', param: 'card_number' });
      expect(error.message).not.toContain('4242');
    },
  );
});

describe('parseExpiry', () => {
  it.each([
    ['2030-12-31', 12, 2030],
    ['2030-01-01', 1, 2030],
    ['2028-02-29', 2, 2028],
  ])('reads %s as month %i of %i', (value, expMonth, expYear) => {
    // Act / Assert
    expect(parseExpiry(value)).toEqual({ expMonth, expYear });
  });

  it.each(['2030-02-29', '2030-13-01', '2030-00-10', '2030-04-31', '2030-12-00', '30-12-31', '2030/12/31', '2030-12', '2030-12-31T00:00:00Z', '12/30', ''])(
    'refuses %j',
    (value) => {
      // Act
      const error = thrown(() => parseExpiry(value));

      // Assert
      expect(error).toMatchObject({ code: 'invalid_expiry_date', param: 'expiration_date' });
    },
  );

  it.each([
    [{ month: 12, year: 2030 }, 12, 2030],
    [{ month: 1, year: 30 }, 1, 2030],
    [{ month: 7, year: 0 }, 7, 2000],
  ])('reads exp_month/exp_year %j', (value, expMonth, expYear) => {
    // Act / Assert
    expect(parseExpiry(value, 'exp_month')).toEqual({ expMonth, expYear });
  });

  it.each([
    { month: 0, year: 2030 },
    { month: 13, year: 2030 },
    { month: 1.5, year: 2030 },
    { month: 1, year: 123 },
    { month: 1, year: 20301 },
    { month: 1, year: -1 },
    { month: 1, year: 2030.5 },
  ])('refuses exp_month/exp_year %j', (value) => {
    // Act
    const error = thrown(() => parseExpiry(value, 'exp_year'));

    // Assert
    expect(error).toMatchObject({ code: 'invalid_expiry_date', param: 'exp_year' });
  });
});

describe('checkCard', () => {
  it.each([
    ['4242-4242-4242-4242', 'visa'],
    ['5555 5555 5555 4444', 'mastercard'],
    ['3782 822463 10005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3566002020360505', 'jcb'],
    ['30569309025904', 'diners'],
  ])('recognizes %s as %s', (number, brand) => {
    // Act
    const checked = checkCard(card({ number }), now, params);

    // Assert
    const digits = number.replace(/[ -]/g, '');
    expect(checked).toEqual({ number: digits, brand, last4: digits.slice(-4), expMonth: 12, expYear: 2030 });
  });

  it.each([
    ['4242424242424241', 'Luhn check fails'],
    ['424242424242424', 'too short for Visa'],
    ['37828224631000', 'too short for Amex'],
    ['55555555555544440', 'too long for Mastercard'],
    ['1234567812345670', 'no card brand'],
    ['0000000000000000', 'no card brand'],
  ])('refuses %s (%s) without echoing it', (number) => {
    // Act
    const error = thrown(() => checkCard(card({ number }), now, params));

    // Assert
    expect(error).toMatchObject({ kind: 'card', code: 'invalid_number', param: 'card_number' });
    expect(error.message).not.toContain(number);
    expect(error.message).not.toContain(number.slice(-4));
  });

  describe('expiry, at month boundaries (UTC)', () => {
    it('accepts a card in its expiry month, to the month’s last millisecond', () => {
      // Arrange
      const lastMoment = new Date('2026-03-31T23:59:59.999Z');

      // Act / Assert
      expect(checkCard(card({ expMonth: 3, expYear: 2026 }), lastMoment, params)).toMatchObject({ expMonth: 3, expYear: 2026 });
    });

    it('refuses it from the first moment of the next month', () => {
      // Arrange
      const nextMonth = new Date('2026-04-01T00:00:00.000Z');

      // Act
      const error = thrown(() => checkCard(card({ expMonth: 3, expYear: 2026 }), nextMonth, params));

      // Assert
      expect(error).toMatchObject({ code: 'expired_card', param: 'expiration_date' });
    });

    it.each([
      [2, 2026],
      [12, 2025],
      [3, 25],
    ])('refuses month %i of %i, before the current month, as expired', (expMonth, expYear) => {
      // Act
      const error = thrown(() => checkCard(card({ expMonth, expYear }), now, params));

      // Assert
      expect(error).toMatchObject({ code: 'expired_card' });
    });

    it('accepts a two-digit year as 20YY', () => {
      // Act / Assert
      expect(checkCard(card({ expMonth: 4, expYear: 26 }), now, params)).toMatchObject({ expMonth: 4, expYear: 2026 });
    });

    it('accepts twenty years ahead and refuses more', () => {
      // Act
      const accepted = checkCard(card({ expMonth: 12, expYear: 2046 }), now, params);
      const error = thrown(() => checkCard(card({ expMonth: 1, expYear: 2047 }), now, params));

      // Assert
      expect(accepted.expYear).toBe(2046);
      expect(error).toMatchObject({ code: 'invalid_expiry_date', param: 'expiration_date' });
    });

    it('refuses a month out of range', () => {
      // Act
      const error = thrown(() => checkCard(card({ expMonth: 13 }), now, params));

      // Assert
      expect(error).toMatchObject({ code: 'invalid_expiry_date', param: 'expiration_date' });
    });
  });

  describe('cvc', () => {
    it.each([
      ['4242424242424242', '123'],
      ['5555555555554444', '000'],
      ['378282246310005', '1234'],
    ])('accepts the right length for %s', (number, cvc) => {
      // Act / Assert
      expect(checkCard(card({ number, cvc }), now, params).cvc).toBe(cvc);
    });

    it.each([
      ['4242424242424242', '1234'],
      ['4242424242424242', '12'],
      ['4242424242424242', '12a'],
      ['4242424242424242', ''],
      ['378282246310005', '123'],
      ['378282246310005', '12345'],
      ['5555555555554444', ' 123'],
    ])('refuses %s with cvc %j without echoing it', (number, cvc) => {
      // Act
      const error = thrown(() => checkCard(card({ number, cvc }), now, { ...params, cvc: 'card_cvc' }));

      // Assert
      expect(error).toMatchObject({ code: 'invalid_cvc', param: 'card_cvc' });
      if (cvc.length > 0) expect(error.message).not.toContain(cvc);
    });

    it('leaves the cvc out when none was given', () => {
      // Act
      const checked = checkCard(card(), now, params);

      // Assert
      expect('cvc' in checked).toBe(false);
    });
  });

  it('reports the number before the expiry and the expiry before the cvc', () => {
    // Act
    const numberFirst = thrown(() => checkCard(card({ number: '4242424242424241', expYear: 2020, cvc: '1' }), now, params));
    const expiryNext = thrown(() => checkCard(card({ expYear: 2020, cvc: '1' }), now, params));

    // Assert
    expect(numberFirst.code).toBe('invalid_number');
    expect(expiryNext.code).toBe('expired_card');
  });

  it('names the fields the caller chose', () => {
    // Act
    const error = thrown(() => checkCard(card({ number: '4242424242424241' }), now, { number: 'number', expiry: 'exp_month', cvc: 'cvc' }));

    // Assert
    expect(error.param).toBe('number');
  });
});

describe('last4', () => {
  it('keeps the last four digits only', () => {
    // Act / Assert
    expect(last4('378282246310005')).toBe('0005');
  });
});
