/**
 * The sandbox card processor: the contract's deterministic test cards, answered the way an acquirer would.
 * Like an acquirer, it authorizes a reference once: the first answer is recorded in a ledger, and asking
 * again (a retry, a redelivered message after a crash) gets that same answer, never a second authorization.
 */
import { randomInt } from 'node:crypto';
import luhn10 from 'card-validator/dist/luhn-10.js';
import {
  ProcessorUnavailableError,
  type AuthorizationLedger,
  type AuthorizationRequest,
  type AuthorizationResult,
  type CardProcessor,
} from '../core/processor.ts';

/** Test cards that the issuer declines, with the reason it gives. */
export const sandboxDeclines: ReadonlyMap<string, string> = new Map([
  ['4000000000000002', 'generic_decline'],
  ['4000000000009995', 'insufficient_funds'],
  ['4000000000009987', 'lost_card'],
  ['4000000000009979', 'stolen_card'],
  ['4000000000000069', 'expired_card'],
  ['4000000000000127', 'incorrect_cvc'],
]);

/** The test card whose every authorization fails at the processor, to exercise retries and `failed`. */
export const SANDBOX_PROCESSING_ERROR_CARD = '4000000000000119';

const AUTHORIZATION_CODE_ALPHABET = '0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ';

export class SandboxProcessor implements CardProcessor {
  constructor(private readonly ledger: AuthorizationLedger) {}

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    const recorded = await this.ledger.find(request.reference);
    if (recorded !== undefined) return recorded;
    if (request.card.number === SANDBOX_PROCESSING_ERROR_CARD) throw new ProcessorUnavailableError('processing_error');
    return this.ledger.record(request.reference, answer(request.card.number));
  }
}

function answer(number: string): AuthorizationResult {
  const declineCode = sandboxDeclines.get(number) ?? (luhn10(number) ? undefined : 'incorrect_number');
  if (declineCode !== undefined) return { outcome: 'declined', declineCode };
  return { outcome: 'approved', authorizationCode: authorizationCode() };
}

/** Six characters, as issuers' approval codes are. */
function authorizationCode(): string {
  let code = '';
  for (let i = 0; i < 6; i += 1) code += AUTHORIZATION_CODE_ALPHABET[randomInt(AUTHORIZATION_CODE_ALPHABET.length)];
  return code;
}

/** A ledger in memory: for tests, and for anything that needs the sandbox without a table. */
export class InMemoryAuthorizationLedger implements AuthorizationLedger {
  private readonly results = new Map<string, AuthorizationResult>();

  async find(reference: string): Promise<AuthorizationResult | undefined> {
    return this.results.get(reference);
  }

  async record(reference: string, result: AuthorizationResult): Promise<AuthorizationResult> {
    const first = this.results.get(reference);
    if (first !== undefined) return first;
    this.results.set(reference, result);
    return result;
  }
}
