/**
 * Card data checks made before anything is created: number (brand, Luhn, length for the brand), expiry and
 * CVC. Failures are CardErrors (402) naming the request field at fault; no message ever carries the number.
 */
import cardValidator from 'card-validator';
import { CardError } from './errors.ts';

/** The brands a checked card can have; a stored card's brand is one of these. */
export const cardBrands = [
  'visa',
  'mastercard',
  'amex',
  'discover',
  'diners',
  'jcb',
  'unionpay',
  'maestro',
  'mir',
  'elo',
  'hiper',
  'hipercard',
  'troy',
  'naranja',
  'verve',
] as const;
export type CardBrand = (typeof cardBrands)[number];

/** card-validator's brand names, in the short form the API shows (Stripe's for the common ones). */
const brands: Readonly<Record<string, CardBrand>> = {
  visa: 'visa',
  mastercard: 'mastercard',
  'american-express': 'amex',
  discover: 'discover',
  'diners-club': 'diners',
  jcb: 'jcb',
  unionpay: 'unionpay',
  maestro: 'maestro',
  mir: 'mir',
  elo: 'elo',
  hiper: 'hiper',
  hipercard: 'hipercard',
  troy: 'troy',
  naranja: 'naranja',
  verve: 'verve',
};

export interface Expiry {
  readonly expMonth: number;
  /** Four digits. */
  readonly expYear: number;
}

export interface CardInput {
  readonly number: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly cvc?: string;
}

/** The request fields to blame, e.g. `{ number: 'card_number', expiry: 'expiration_date', cvc: 'cvc' }`. */
export interface CardParams {
  readonly number: string;
  readonly expiry: string;
  readonly cvc: string;
}

export interface CheckedCard extends Expiry {
  /** Digits only. Sensitive: for the vault and the processor, nothing else. */
  readonly number: string;
  readonly brand: CardBrand;
  readonly last4: string;
  readonly cvc?: string;
}

/** Cards are issued for at most about twenty years; a later expiry is a typo. */
const MAX_YEARS_AHEAD = 20;

/** The digits of a card number typed with spaces or dashes between groups; any other character is refused. */
export function normalizeCardNumber(raw: string, param = 'card_number'): string {
  const digits = raw.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) {
    throw new CardError('invalid_number', 'The card number may contain only digits, spaces and dashes.', { param });
  }
  return digits;
}

export function last4(number: string): string {
  return number.slice(-4);
}

/**
 * The expiry month and year from the seed form `YYYY-MM-DD` (a real calendar date; only its month and year
 * count, since a card is valid through the end of its expiry month) or from `exp_month`/`exp_year` numbers
 * (a two-digit year means 20YY).
 */
export function parseExpiry(value: string | { readonly month: number; readonly year: number }, param = 'expiration_date'): Expiry {
  if (typeof value === 'string') return parseExpiryDate(value, param);
  const { month, year } = value;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new CardError('invalid_expiry_date', 'The expiry month must be an integer from 1 to 12.', { param });
  }
  if (Number.isInteger(year) && year >= 0 && year <= 99) return { expMonth: month, expYear: 2000 + year };
  if (Number.isInteger(year) && year >= 1000 && year <= 9999) return { expMonth: month, expYear: year };
  throw new CardError('invalid_expiry_date', 'The expiry year must be a two- or four-digit year.', { param });
}

function parseExpiryDate(value: string, param: string): Expiry {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const invalid = (): CardError =>
    new CardError('invalid_expiry_date', 'The expiration date must be a calendar date written YYYY-MM-DD, e.g. 2030-12-31.', {
      param,
    });
  if (match === null) throw invalid();
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2030-02-31 over into March: a date that does not round-trip is not on the calendar.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid();
  return { expMonth: month, expYear: year };
}

/** A card is valid through the end of its expiry month (UTC); `param` names the field to blame. */
export function requireNotExpired(expiry: Expiry, now: Date, param: string): void {
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  if (expiry.expYear < currentYear || (expiry.expYear === currentYear && expiry.expMonth < currentMonth)) {
    throw new CardError('expired_card', 'The card has expired.', { param });
  }
}

/**
 * Checks a card as typed by a customer, at `now` (UTC): its number, in order its expiry, then its CVC if given.
 * Returns the normalized card; throws a CardError for the first check that fails.
 */
export function checkCard(input: CardInput, now: Date, params: CardParams): CheckedCard {
  const number = normalizeCardNumber(input.number, params.number);
  const verification = cardValidator.number(number, { luhnValidateUnionPay: true });
  const type = verification.card;
  const brand = type === null ? undefined : brands[type.type];
  if (type === null || brand === undefined) {
    throw new CardError('invalid_number', 'The card number does not belong to a card brand we accept.', {
      param: params.number,
    });
  }
  if (!verification.isValid) {
    throw new CardError('invalid_number', 'The card number is incorrect: check its digits.', { param: params.number });
  }

  const { expMonth, expYear } = parseExpiry({ month: input.expMonth, year: input.expYear }, params.expiry);
  requireNotExpired({ expMonth, expYear }, now, params.expiry);
  if (expYear > now.getUTCFullYear() + MAX_YEARS_AHEAD) {
    throw new CardError('invalid_expiry_date', `The expiry year is more than ${MAX_YEARS_AHEAD} years away.`, {
      param: params.expiry,
    });
  }

  if (input.cvc !== undefined) {
    const size = type.code.size;
    if (!new RegExp(`^\\d{${size}}$`).test(input.cvc)) {
      throw new CardError('invalid_cvc', `The card's security code must be ${size} digits for this card brand.`, {
        param: params.cvc,
      });
    }
  }

  return {
    number,
    brand,
    last4: last4(number),
    expMonth,
    expYear,
    ...(input.cvc === undefined ? {} : { cvc: input.cvc }),
  };
}
