/**
 * KMS requests per payment in a gateway that has been running for a while in the cloud. A bench run cannot
 * measure this: it lasts seconds, warms every cache first, and the card vault keeps a data key for minutes
 * (functions/adapters/card-vault.ts), so it sees no KMS request at all. What it costs in steady state
 * depends on how many containers hold a cache and how fast payments come, which the bench assumes and states.
 *
 * Per container of a function that seals card data: one GenerateDataKey each time its data key expires, by
 * age or by uses. Per container of a function that opens card data: one Decrypt per distinct data key it
 * meets before its cached copy expires, and every sealing container makes its own data keys.
 * The bench's payments are one merchant's; data keys are per merchant, so more merchants mean more requests.
 */

export interface DataKeyCacheModel {
  readonly maxAgeMs: number;
  readonly maxUses: number;
}

export interface KmsAssumptions {
  /** Warm containers of each function (Lambda keeps about as many as the concurrency needs). */
  readonly containersPerFunction: number;
  /** Payments per second, spread evenly over the containers. */
  readonly paymentsPerSecond: number;
}

export interface CardKeyUser {
  readonly name: string;
  readonly operations: readonly ('encrypt' | 'decrypt')[];
}

export interface KmsEstimate {
  readonly requestsPerThousandPayments: number;
  readonly requestsPerPayment: number;
  /** How long a container keeps one data key, in seconds: its age limit, or sooner when it runs out of uses. */
  readonly keyLifetimeSeconds: number;
  readonly byFunction: Readonly<Record<string, number>>;
  readonly assumptions: string;
}

/** One seal or open of card data per payment per function that uses the card key. */
export function estimateSteadyStateKms(users: readonly CardKeyUser[], cache: DataKeyCacheModel, assumptions: KmsAssumptions): KmsEstimate {
  const { containersPerFunction: containers, paymentsPerSecond: rate } = assumptions;
  const usesPerContainerPerSecond = rate / containers;
  const keyLifetimeSeconds = Math.min(cache.maxAgeMs / 1000, cache.maxUses / usesPerContainerPerSecond);
  const paymentsPerLifetime = rate * keyLifetimeSeconds;
  const sealingContainers = users.some((user) => user.operations.includes('encrypt')) ? containers : 0;
  // An opening container meets at most every sealing container's key, and no more keys than payments it opens.
  const keysMetPerOpeningContainer = Math.min(sealingContainers, paymentsPerLifetime / containers);

  const byFunction: Record<string, number> = {};
  for (const user of users) {
    const perContainerPerLifetime =
      (user.operations.includes('encrypt') ? 1 : 0) + (user.operations.includes('decrypt') ? keysMetPerOpeningContainer : 0);
    byFunction[user.name] = ((perContainerPerLifetime * containers) / paymentsPerLifetime) * 1000;
  }
  const requestsPerThousandPayments = Object.values(byFunction).reduce((total, value) => total + value, 0);
  return {
    requestsPerThousandPayments,
    requestsPerPayment: requestsPerThousandPayments / 1000,
    keyLifetimeSeconds,
    byFunction,
    assumptions:
      `${containers} warm containers per function, ${rate} payments/s of one merchant, data keys kept ` +
      `${(cache.maxAgeMs / 60_000).toFixed(0)} min or ${cache.maxUses} uses (so ${keyLifetimeSeconds.toFixed(0)} s); ` +
      `card-key users in the payment flow: ${users.map((user) => `${user.name} (${user.operations.join('+')})`).join(', ') || 'none'}`,
  };
}
