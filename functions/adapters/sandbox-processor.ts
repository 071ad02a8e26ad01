/**
 * The sandbox card processor: the contract's deterministic test cards, answered the way an acquirer would.
 * Like an acquirer, it authorizes a reference once: its answer, approval code included, is a function of
 * the reference and the card (which a reference never changes), so asking again (a retry, a redelivered
 * message after a crash, another process) gets the same answer, never a second authorization — and it needs
 * no storage to remember it.
 */
import { createHash } from 'node:crypto';
import luhn10 from 'card-validator/dist/luhn-10.js';
import { ProcessorUnavailableError, type AuthorizationRequest, type AuthorizationResult, type CardProcessor } from '../core/processor.ts';

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
  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    if (request.card.number === SANDBOX_PROCESSING_ERROR_CARD) throw new ProcessorUnavailableError('processing_error');
    const declineCode = sandboxDeclines.get(request.card.number) ?? (luhn10(request.card.number) ? undefined : 'incorrect_number');
    if (declineCode !== undefined) return { outcome: 'declined', declineCode };
    return { outcome: 'approved', authorizationCode: authorizationCode(request.reference) };
  }
}

/** Six characters, as issuers' approval codes are; the same for the same reference. */
function authorizationCode(reference: string): string {
  const digest = createHash('sha256').update(`sandbox-approval|${reference}`).digest();
  let code = '';
  for (let i = 0; i < 6; i += 1) code += AUTHORIZATION_CODE_ALPHABET[(digest[i] ?? 0) % AUTHORIZATION_CODE_ALPHABET.length];
  return code;
}
