/**
 * Wires a card number, expiry and CVC field to card.js: formats as the customer types, names the brand,
 * and shows each field's problem once it is complete (or on submit), linked by aria-describedby.
 * `take()` reads the card for one POST body and empties the number and CVC fields at once.
 */
import { brandLabel, checkCvc, checkExpiry, checkNumber, digitsOf, formatCardNumber, formatExpiry } from './card.js';

export function wireCardFields(form) {
  const $ = (id) => document.getElementById(id);
  const number = $('card-number');
  const expiry = $('card-expiry');
  const cvc = $('card-cvc');
  const brand = $('card-brand');

  const showFieldResult = (input, result, force) => {
    const show = !result.valid && (force || result.complete);
    $(`${input.id}-error`).textContent = show ? result.message : '';
    input.setAttribute('aria-invalid', show ? 'true' : 'false');
    return result.valid;
  };

  const check = (force) => {
    const numberResult = checkNumber(number.value);
    brand.textContent = brandLabel(numberResult.brand);
    const okNumber = showFieldResult(number, numberResult, force);
    const okExpiry = showFieldResult(expiry, checkExpiry(expiry.value), force);
    const okCvc = showFieldResult(cvc, checkCvc(cvc.value, numberResult.brand), force);
    return okNumber && okExpiry && okCvc;
  };

  number.addEventListener('input', () => {
    const formatted = formatCardNumber(number.value);
    if (formatted !== number.value) number.value = formatted;
    check(false);
  });
  expiry.addEventListener('input', (event) => {
    // Let a backspace remove the " / " instead of putting it straight back.
    if (!event.inputType?.startsWith('delete')) {
      const formatted = formatExpiry(expiry.value);
      if (formatted !== expiry.value) expiry.value = formatted;
    }
    check(false);
  });
  cvc.addEventListener('input', () => check(false));
  for (const input of [number, expiry, cvc]) {
    input.addEventListener('blur', () => {
      if (input.value !== '') check(true);
    });
  }

  return {
    /** Checks every field, shows every problem, and focuses the first bad field; true when all are good. */
    validate() {
      const ok = check(true);
      if (!ok) form.querySelector('[aria-invalid="true"]')?.focus();
      return ok;
    },
    /** The card for one request body; the number and CVC fields are emptied as it is read. */
    take() {
      const parsed = checkExpiry(expiry.value).expiry;
      const card = { card_number: digitsOf(number.value), exp_month: parsed.month, exp_year: parsed.year, cvc: cvc.value };
      number.value = '';
      cvc.value = '';
      brand.textContent = '';
      return card;
    },
  };
}
