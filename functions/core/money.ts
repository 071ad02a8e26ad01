/**
 * Money as the contract defines it: an integer count of a currency's minor unit, the unit given by the
 * ISO 4217 exponent (USD 2, JPY 0, KWD 3). No floating point anywhere.
 */
import currencyCodes from 'currency-codes';
import { InvalidRequestError } from './errors.ts';

export interface Currency {
  readonly code: string;
  /** Digits of the minor unit: 1050 minor units of a currency with exponent 2 are 10.50. */
  readonly exponent: number;
  readonly name: string;
}

export const MIN_AMOUNT = 1;
export const MAX_AMOUNT = 99_999_999;

/**
 * ISO 4217 codes that are no money a card can be charged in. currency-codes reports their minor unit as 0,
 * where ISO's list says "N.A.", so they are named here: precious metals, bond-market and supranational units
 * of account, the testing code and "no currency" (minor unit N.A.), and the fund codes ISO flags `IsFund`
 * (plus UYW, an index unit for wages, not cash).
 */
const NOT_CHARGEABLE = new Set([
  'XAG', 'XAU', 'XPD', 'XPT', // metals
  'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XSU', 'XUA', // units of account
  'XTS', 'XXX', // testing, no currency
  'BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', // funds and index units
]);

const currencies: ReadonlyMap<string, Currency> = new Map(
  currencyCodes.data
    .filter((record) => !NOT_CHARGEABLE.has(record.code))
    .map((record) => [record.code, { code: record.code, exponent: record.digits, name: record.currency }]),
);

/** The currency for an upper-case ISO 4217 code a card can be charged in; anything else is a 400. */
export function requireCurrency(code: string, param = 'currency'): Currency {
  const currency = /^[A-Z]{3}$/.test(code) ? currencies.get(code) : undefined;
  if (currency === undefined) {
    throw new InvalidRequestError(
      'invalid_currency',
      `'${code.slice(0, 16)}' is not a supported currency: use an upper-case ISO 4217 code such as USD, EUR or JPY.`,
      { param },
    );
  }
  return currency;
}

/** A charge amount in minor units: an integer from 1 to 99,999,999. */
export function requireAmount(amount: unknown, currency: Currency, param = 'amount'): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < MIN_AMOUNT || amount > MAX_AMOUNT) {
    throw new InvalidRequestError(
      'invalid_amount',
      `The amount must be an integer number of ${currency.code} minor units ` +
        `from ${MIN_AMOUNT} to ${MAX_AMOUNT} (${formatAmount(MIN_AMOUNT, currency)} to ${formatAmount(MAX_AMOUNT, currency)}).`,
      { param },
    );
  }
  return amount;
}

/** "10.50 USD" for 1050 USD, "500 JPY" for 500 JPY, "1.500 KWD" for 1500 KWD: exact, by string arithmetic. */
export function formatAmount(amount: number, currency: Currency): string {
  // A fraction or an unsafe integer here is a bug upstream, not something to round away.
  if (!Number.isSafeInteger(amount)) throw new RangeError('An amount is a safe integer of minor units.');
  const sign = amount < 0 ? '-' : '';
  const digits = Math.abs(amount).toString();
  if (currency.exponent === 0) return `${sign}${digits} ${currency.code}`;
  const padded = digits.padStart(currency.exponent + 1, '0');
  const major = padded.slice(0, padded.length - currency.exponent);
  const minor = padded.slice(padded.length - currency.exponent);
  return `${sign}${major}.${minor} ${currency.code}`;
}
