/**
 * KMS requests per payment in a gateway that has been running for a while in the cloud. A bench run cannot
 * measure this: it lasts seconds, warms every cache first, and the card vault keeps a data key for a day
 * (functions/adapters/card-vault.ts), so it sees no KMS request at all. What it costs in steady state
 * depends on how many containers hold a cache and how fast payments come, which the bench assumes and states.
 *
 * The card vault (functions/adapters/card-data-keys.ts) lets each sealing container make its own data key per
 * merchant and period (a UTC day) and store it encrypted; only the containers that open card data unwrap keys.
 * So, per merchant and period:
 * - GenerateDataKey: one per container of each function that seals, each time its key runs out: at the end of
 *   the period, or sooner by the cache's age or uses limit. Sealers never Decrypt.
 * - Decrypt: one per container of each function that opens, per distinct key it meets. Payments are spread
 *   evenly over the containers, so every sealing container's key reaches every opening container (unless there
 *   are fewer payments than that). An opening container's copy of a key has the cache limits of the sealer's
 *   and sees only its share of the key's values, so it lasts as long as the key seals: one Decrypt per key.
 * The bench's payments are one merchant's; each further merchant active in a period adds its own requests.
 */
import { DATA_KEY_PERIOD_MS } from '../functions/adapters/card-data-keys.ts';

export interface DataKeyCacheModel {
  readonly maxAgeMs: number;
  readonly maxUses: number;
  /** The longest a sealing container seals under one data key; the vault's (a UTC day) when not given. */
  readonly periodMs?: number;
}

export interface KmsAssumptions {
  /** Warm containers of each function (Lambda keeps about as many as the concurrency needs). */
  readonly containersPerFunction: number;
  /** Payments per second, spread evenly over the containers. */
  readonly paymentsPerSecond: number;
}

export interface CardKeyUser {
  readonly name: string;
  /** What the function does with card data (its topology `cardKey`): `encrypt` seals it, `decrypt` opens it. */
  readonly operations: readonly ('encrypt' | 'decrypt')[];
}

export interface KmsEstimate {
  readonly requestsPerThousandPayments: number;
  readonly requestsPerPayment: number;
  /** How long a sealing container seals under one data key, in seconds: the period, or less by the cache's limits. */
  readonly keyLifetimeSeconds: number;
  /** Per 1,000 payments: GenerateDataKey of the functions that seal, Decrypt of those that open. */
  readonly byFunction: Readonly<Record<string, number>>;
  /** Per 1,000 payments, by KMS operation. */
  readonly byOperation: Readonly<{ GenerateDataKey: number; Decrypt: number }>;
  readonly assumptions: string;
}

/** A payment with a typed card seals, and its authorization opens, two values: the number and the CVC. */
export const CARD_VALUES_PER_PAYMENT = 2;

export function estimateSteadyStateKms(users: readonly CardKeyUser[], cache: DataKeyCacheModel, assumptions: KmsAssumptions): KmsEstimate {
  const { containersPerFunction: containers, paymentsPerSecond: rate } = assumptions;
  const periodSeconds = (cache.periodMs ?? DATA_KEY_PERIOD_MS) / 1000;
  const paymentsPerPeriod = rate * periodSeconds;
  /** How long a cached key lasts, used `usesPerSecond` times a second: its age limit, or sooner by its uses. */
  const cachedFor = (usesPerSecond: number) => Math.min(cache.maxAgeMs / 1000, cache.maxUses / usesPerSecond);

  // Sealing: each container seals its share of every payment's values under its own key.
  const valuesSealedPerContainerPerSecond = (rate * CARD_VALUES_PER_PAYMENT) / containers;
  const keyLifetimeSeconds = Math.min(periodSeconds, cachedFor(valuesSealedPerContainerPerSecond));
  const keysPerSealingContainer = periodSeconds / keyLifetimeSeconds;
  const sealers = users.filter((user) => user.operations.includes('encrypt'));
  // The keys the openers meet: the sealing functions' in the flow; without one there, one function's made elsewhere.
  const keysPerPeriod = Math.max(1, sealers.length) * containers * keysPerSealingContainer;

  // Opening: a container meets every key, but no more keys than payments it opens (a payment's values share one),
  // and unwraps each once: its copy has the same limits and sees fewer uses, so it outlasts the key's sealing.
  const keysMetPerOpeningContainer = Math.min(keysPerPeriod, paymentsPerPeriod / containers);

  const perThousand = (requestsPerPeriod: number) => (requestsPerPeriod / paymentsPerPeriod) * 1000;
  const byFunction: Record<string, number> = {};
  let generated = 0;
  let decrypted = 0;
  for (const user of users) {
    const generate = user.operations.includes('encrypt') ? containers * keysPerSealingContainer : 0;
    const decrypt = user.operations.includes('decrypt') ? containers * keysMetPerOpeningContainer : 0;
    byFunction[user.name] = perThousand(generate + decrypt);
    generated += generate;
    decrypted += decrypt;
  }
  const requestsPerThousandPayments = perThousand(generated + decrypted);
  const period = periodSeconds % 86_400 === 0 ? `${periodSeconds / 86_400} d` : `${(periodSeconds / 3_600).toFixed(1)} h`;
  const duration = (seconds: number) => (seconds >= 3_600 ? `${(seconds / 3_600).toFixed(1)} h` : `${seconds.toFixed(0)} s`);
  return {
    requestsPerThousandPayments,
    requestsPerPayment: requestsPerThousandPayments / 1000,
    keyLifetimeSeconds,
    byFunction,
    byOperation: { GenerateDataKey: perThousand(generated), Decrypt: perThousand(decrypted) },
    assumptions:
      `${containers} warm containers per function, living through the period, ${rate} payments/s of one merchant spread evenly ` +
      `over them, ${CARD_VALUES_PER_PAYMENT} card values per payment; each sealing container makes its own data key per merchant ` +
      `per ${period} and seals under it ${duration(keyLifetimeSeconds)} (limits ${duration(cache.maxAgeMs / 1000)} or ${cache.maxUses} uses): ` +
      `${generated.toFixed(0)} GenerateDataKey and ${decrypted.toFixed(0)} Decrypt per ${period} for ${paymentsPerPeriod.toFixed(0)} payments, ` +
      'every sealing container\'s key reaching every opening container; ' +
      `card-key users in the payment flow: ${users.map((user) => `${user.name} (${user.operations.join('+')})`).join(', ') || 'none'}. ` +
      'Left out: containers that Lambda replaces sooner (a new sealing container adds 1 GenerateDataKey, and 1 Decrypt in each opening ' +
      'container; a new opening container adds 1 Decrypt per key it meets), other merchants (each one that every container sees adds as many requests again), ' +
      'and saved cards sealed on earlier days (1 Decrypt per opening container per old key met).',
  };
}
