/**
 * The one logger of every function. Whatever reaches it — a message, an attribute, an error's message or
 * stack, at any depth — is written with card data redacted, so a careless log call cannot leak a PAN or CVC.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import luhn10 from 'card-validator/dist/luhn-10.js';

export const REDACTED = '[REDACTED]';

/** card_number, cardNumber, card-no, pan, cvc, cvv2, security_code, ...: compared without case or separators. */
const SENSITIVE_KEY = /^(?:card|cardnumber|cardno|cardnum|number|pan|cvc|cvc2|cvv|cvv2|securitycode)$/;

/** A run of digits, each pair separated by at most one space or dash, as card numbers are written. */
const DIGIT_RUN = /\d(?:[ -]?\d)+/g;

const MIN_PAN_DIGITS = 13;
const MAX_PAN_DIGITS = 19;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/**
 * True when the run, or a stretch of its separator-delimited groups, has 13–19 digits and passes Luhn.
 * Looking at group stretches catches a card number that follows other digits ("qty 2 4242 4242 4242 4242");
 * a run without separators is judged whole, so an arbitrary long number is rarely redacted by accident.
 */
function hidesCardNumber(run: string): boolean {
  const groups = run.split(/[ -]/);
  for (let first = 0; first < groups.length; first += 1) {
    let digits = '';
    for (let last = first; last < groups.length && digits.length < MAX_PAN_DIGITS; last += 1) {
      digits += groups[last];
      if (digits.length >= MIN_PAN_DIGITS && digits.length <= MAX_PAN_DIGITS && luhn10(digits)) return true;
    }
  }
  return false;
}

/** A CVC is only recognisable by its name: `"cvc":"123"`, `cvv2=1234`, as in a raw body or a query string. */
const NAMED_CVC = /((?:cvc|cvv)2?["']?\s*[:=]\s*["']?)\d{3,4}/gi;

export function redactCardText(text: string): string {
  return text
    .replace(DIGIT_RUN, (run) => (hidesCardNumber(run) ? REDACTED : run))
    .replace(NAMED_CVC, (_, name: string) => `${name}${REDACTED}`);
}

/** JSON.stringify replacer: the Logger calls it for every key and value it serializes, nested or not. */
export function redactCardData(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactCardText(value);
  if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') {
    if (hidesCardNumber(value.toString().replace('-', ''))) return REDACTED;
  }
  return value;
}

export const logger = new Logger({ serviceName: 'payment-gateway', jsonReplacerFn: redactCardData });
