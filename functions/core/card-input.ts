/** The fields of a card typed in (POST /payments, POST /payment_methods, the hosted checkout) as the core checks them. */
import { InvalidRequestError } from './errors.ts';
import { parseExpiry, type CardInput, type CardParams, type Expiry } from './card.ts';

/** A typed-in card and the request fields to blame, from a body with `card_number` and an expiry. */
export function cardInputOf(body: {
  readonly card_number: string;
  readonly expiration_date?: string | undefined;
  readonly exp_month?: number | undefined;
  readonly exp_year?: number | undefined;
  readonly cvc?: string | undefined;
}): { card: CardInput; params: CardParams } {
  const expiryParam = body.expiration_date === undefined ? 'exp_month' : 'expiration_date';
  return {
    card: { number: body.card_number, ...expiryOf(body), ...(body.cvc === undefined ? {} : { cvc: body.cvc }) },
    params: { number: 'card_number', expiry: expiryParam, cvc: 'cvc' },
  };
}

function expiryOf(body: { readonly expiration_date?: string | undefined; readonly exp_month?: number | undefined; readonly exp_year?: number | undefined }): Expiry {
  if (body.expiration_date !== undefined) return parseExpiry(body.expiration_date, 'expiration_date');
  if (body.exp_month !== undefined && body.exp_year !== undefined) {
    return parseExpiry({ month: body.exp_month, year: body.exp_year }, 'exp_month');
  }
  throw new InvalidRequestError('parameter_missing', 'The card needs an expiry: `expiration_date` (YYYY-MM-DD) or `exp_month` and `exp_year`.', {
    param: 'expiration_date',
  });
}
