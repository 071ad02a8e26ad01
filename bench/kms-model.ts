/**
 * KMS requests per payment in a gateway that has been running for a while in the cloud. A bench run cannot
 * measure this: it lasts seconds, warms every cache first, and the card vault keeps a data key for a day
 * (functions/adapters/card-vault.ts), so it sees no KMS request at all. What it costs in steady state
 * depends on how many containers hold a cache and how fast payments come, which the bench assumes and states.
 *
 * The card vault seals under one data key per merchant and period (a UTC day), shared by the whole fleet
 * through the table (functions/adapters/card-data-keys.ts). So, per merchant and period:
 * - one GenerateDataKey in the whole fleet, by the first container that seals;
 * - one Decrypt per container, for each way it uses the key (sealing and opening are cached apart), each time
 *   its cached copy runs out: at the end of the period, or sooner by the cache's age or uses limit. The
 *   container that made the key needs no Decrypt for its first copy, so the GenerateDataKey takes the place
 *   of one Decrypt: each function's count is its containers' copies, one of which is the GenerateDataKey.
 * The bench's payments are one merchant's; each further merchant active in a period adds its own requests,
 * at most 1 + one per container that meets it.
 */
import { DATA_KEY_PERIOD_MS } from '../functions/adapters/card-data-keys.ts';

export interface DataKeyCacheModel {
  readonly maxAgeMs: number;
  readonly maxUses: number;
  /** How long one shared data key seals new values; the vault's (a UTC day) when not given. */
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
  /**
   * What the function does with card data (its topology `cardKey`): `encrypt` seals it, `decrypt` opens it.
   * A function that seals also unwraps the shared key with KMS Decrypt; that is counted under `encrypt`.
   */
  readonly operations: readonly ('encrypt' | 'decrypt')[];
}

export interface KmsEstimate {
  readonly requestsPerThousandPayments: number;
  readonly requestsPerPayment: number;
  /** How long a container keeps one copy of a data key, in seconds: the period, or less by the cache's limits. */
  readonly keyLifetimeSeconds: number;
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
  const usesPerContainerPerSecond = (rate * CARD_VALUES_PER_PAYMENT) / containers;
  const keyLifetimeSeconds = Math.min(periodSeconds, cache.maxAgeMs / 1000, cache.maxUses / usesPerContainerPerSecond);
  const paymentsPerPeriod = rate * periodSeconds;
  const copiesPerContainerPerPeriod = periodSeconds / keyLifetimeSeconds;

  const byFunction: Record<string, number> = {};
  let copies = 0;
  for (const user of users) {
    const uses = (user.operations.includes('encrypt') ? 1 : 0) + (user.operations.includes('decrypt') ? 1 : 0);
    const perPeriod = uses * containers * copiesPerContainerPerPeriod;
    byFunction[user.name] = (perPeriod / paymentsPerPeriod) * 1000;
    copies += perPeriod;
  }
  // Without a function that seals in the flow, the keys its openers meet were made elsewhere.
  const generated = users.some((user) => user.operations.includes('encrypt')) ? 1 : 0;
  const requestsPerThousandPayments = (copies / paymentsPerPeriod) * 1000;
  const period = periodSeconds % 86_400 === 0 ? `${periodSeconds / 86_400} d` : `${(periodSeconds / 3_600).toFixed(1)} h`;
  return {
    requestsPerThousandPayments,
    requestsPerPayment: requestsPerThousandPayments / 1000,
    keyLifetimeSeconds,
    byFunction,
    byOperation: {
      GenerateDataKey: (generated / paymentsPerPeriod) * 1000,
      Decrypt: ((copies - generated) / paymentsPerPeriod) * 1000,
    },
    assumptions:
      `${containers} warm containers per function, living through the period, ${rate} payments/s of one merchant, ` +
      `${CARD_VALUES_PER_PAYMENT} card values per payment; one data key per merchant per ${period}, shared by the fleet ` +
      `(1 GenerateDataKey per period), each container's copy kept ${(keyLifetimeSeconds / 3_600).toFixed(1)} h ` +
      `(limits ${(cache.maxAgeMs / 3_600_000).toFixed(1)} h or ${cache.maxUses} uses); ` +
      `card-key users in the payment flow: ${users.map((user) => `${user.name} (${user.operations.join('+')})`).join(', ') || 'none'}. ` +
      'Containers that Lambda replaces sooner add one Decrypt each; each further merchant adds up to 1 + one per container it meets.',
  };
}
