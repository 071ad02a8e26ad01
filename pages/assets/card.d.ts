// Types of card.js for the TypeScript tests that import it; the page loads the .js as is.
export interface CardCheck {
  readonly valid: boolean;
  /** False while the customer is still typing: no error is shown yet. */
  readonly complete: boolean;
  readonly message: string;
}
export function digitsOf(typed: string): string | null;
export function detectBrand(typed: string): { readonly brand: string; readonly label: string; readonly cvc: number } | undefined;
export function passesLuhn(digits: string): boolean;
export function formatCardNumber(typed: string): string;
export function checkNumber(typed: string): CardCheck & { readonly brand: string | undefined };
export function parseExpiry(typed: string): { readonly month: number; readonly year: number } | null;
export function formatExpiry(typed: string): string;
export function checkExpiry(typed: string, now?: Date): CardCheck & { readonly expiry?: { readonly month: number; readonly year: number } };
export function checkCvc(typed: string, brand: string | undefined): CardCheck;
export function brandLabel(brand: string | undefined): string;
