/**
 * Card checks the pages run as the customer types: brand, Luhn, length for the brand, expiry and CVC
 * length. A small hand-written module in the spirit of functions/core/card.ts (which uses card-validator
 * on the server and stays the authority: a card this module accepts may still be refused there).
 * Pure functions, no DOM: the unit tests run it under Node too.
 */

/** Brands by number prefix, most specific first. `lengths` are the valid digit counts, `cvc` the CVC length. */
const BRANDS = [
  { brand: 'amex', label: 'American Express', prefix: /^3[47]/, lengths: [15], cvc: 4, groups: [4, 6, 5] },
  { brand: 'diners', label: 'Diners Club', prefix: /^3(0[0-5]|[689])/, lengths: [14, 15, 16, 17, 18, 19], cvc: 3 },
  { brand: 'jcb', label: 'JCB', prefix: /^35(2[89]|[3-8])/, lengths: [16, 17, 18, 19], cvc: 3 },
  { brand: 'maestro', label: 'Maestro', prefix: /^(5018|5020|5038|5893|6304|6759|676[1-3])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19], cvc: 3 },
  {
    brand: 'mastercard',
    label: 'Mastercard',
    prefix: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/,
    lengths: [16],
    cvc: 3,
  },
  { brand: 'discover', label: 'Discover', prefix: /^(6011|64[4-9]|65)/, lengths: [16, 17, 18, 19], cvc: 3 },
  { brand: 'unionpay', label: 'UnionPay', prefix: /^62/, lengths: [14, 15, 16, 17, 18, 19], cvc: 3 },
  { brand: 'visa', label: 'Visa', prefix: /^4/, lengths: [13, 16, 19], cvc: 3 },
];

const DEFAULT_GROUPS = [4, 4, 4, 4, 3];
/** Cards are issued for at most about twenty years, as the server checks. */
const MAX_YEARS_AHEAD = 20;

/** The digits of what was typed, or null when it holds anything but digits, spaces and dashes. */
export function digitsOf(typed) {
  if (!/^[\d\s-]*$/.test(typed)) return null;
  return typed.replace(/[\s-]/g, '');
}

/** The brand a (partial) number belongs to, or undefined while unknown. */
export function detectBrand(typed) {
  const digits = digitsOf(typed) ?? '';
  return BRANDS.find((entry) => entry.prefix.test(digits));
}

/** The Luhn (mod 10) check of a string of digits. */
export function passesLuhn(digits) {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** The number grouped as printed on the card (`4242 4242 4242 4242`, Amex `3782 822463 10005`). */
export function formatCardNumber(typed) {
  const digits = (digitsOf(typed) ?? typed.replace(/\D/g, '')).slice(0, 19);
  const groups = detectBrand(digits)?.groups ?? DEFAULT_GROUPS;
  const parts = [];
  let start = 0;
  for (const size of groups) {
    if (start >= digits.length) break;
    parts.push(digits.slice(start, start + size));
    start += size;
  }
  if (start < digits.length) parts.push(digits.slice(start));
  return parts.join(' ');
}

/**
 * Checks a number. `complete: false` means "still typing" (no error shown yet).
 * Returns { valid, complete, brand, message }.
 */
export function checkNumber(typed) {
  const digits = digitsOf(typed);
  if (digits === null) return { valid: false, complete: true, brand: undefined, message: 'Use digits only.' };
  const entry = detectBrand(digits);
  if (digits.length === 0) return { valid: false, complete: false, brand: undefined, message: 'Enter the card number.' };
  if (entry === undefined) {
    return { valid: false, complete: digits.length >= 6, brand: undefined, message: 'This card brand is not accepted.' };
  }
  const longest = Math.max(...entry.lengths);
  if (!entry.lengths.includes(digits.length)) {
    return { valid: false, complete: digits.length >= longest, brand: entry.brand, message: 'The card number is incomplete.' };
  }
  if (!passesLuhn(digits)) return { valid: false, complete: true, brand: entry.brand, message: 'The card number is incorrect: check its digits.' };
  return { valid: true, complete: true, brand: entry.brand, message: '' };
}

/** Parses `MM/YY`, `MM / YY` or `MM/YYYY` into { month, year } (four-digit year), or null. */
export function parseExpiry(typed) {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(typed);
  if (match === null) return null;
  const month = Number(match[1]);
  const year = match[2].length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  if (month < 1 || month > 12) return null;
  return { month, year };
}

/** Inserts the slash as the customer types the month: `12` -> `12 / `, `1230` -> `12 / 30`. */
export function formatExpiry(typed) {
  const digits = typed.replace(/\D/g, '').slice(0, 6);
  if (digits.length <= 2) return digits;
  return `${digits.slice(0, 2)} / ${digits.slice(2)}`;
}

/** Checks an expiry at `now` (UTC, as the server does): a real month, not past, not absurdly far. */
export function checkExpiry(typed, now = new Date()) {
  if (typed.trim() === '') return { valid: false, complete: false, message: 'Enter the expiry date.' };
  const expiry = parseExpiry(typed);
  if (expiry === null) return { valid: false, complete: typed.replace(/\D/g, '').length >= 4, message: 'Enter the expiry as MM / YY.' };
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  if (expiry.year < year || (expiry.year === year && expiry.month < month)) {
    return { valid: false, complete: true, message: 'This card has expired.', expiry };
  }
  if (expiry.year > year + MAX_YEARS_AHEAD) return { valid: false, complete: true, message: 'Check the expiry year.', expiry };
  return { valid: true, complete: true, message: '', expiry };
}

/** Checks a CVC against the brand's length (4 for Amex, 3 otherwise; 3 or 4 while the brand is unknown). */
export function checkCvc(typed, brand) {
  const expected = BRANDS.find((entry) => entry.brand === brand)?.cvc;
  if (typed === '') return { valid: false, complete: false, message: 'Enter the security code.' };
  if (!/^\d+$/.test(typed)) return { valid: false, complete: true, message: 'Use digits only.' };
  const ok = expected === undefined ? typed.length === 3 || typed.length === 4 : typed.length === expected;
  const wanted = expected === undefined ? '3 or 4' : String(expected);
  return ok
    ? { valid: true, complete: true, message: '' }
    : { valid: false, complete: typed.length >= (expected ?? 4), message: `The security code has ${wanted} digits.` };
}

/** The human name of a brand, for the page. */
export function brandLabel(brand) {
  return BRANDS.find((entry) => entry.brand === brand)?.label ?? '';
}
