/**
 * A merchant: the account every other record belongs to. Here, not in functions/merchants/, because the
 * hosted pages read it too and the merchants capability depends on the hosted one (the authorizer knows
 * session tokens): one home that both may import without a cycle between capability folders.
 */
export interface Merchant {
  readonly merchantId: string;
  readonly name: string;
  readonly email: string;
  readonly defaultCurrency: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /**
   * The value of the merchant's API Gateway API key in the usage plan (functions/adapters/usage-plan.ts):
   * the authorizer's `usageIdentifierKey`. An identifier for throttling, not a credential, but never logged
   * or shown. Absent on merchants created before usage plans, which merchant routes then refuse (403).
   */
  readonly usagePlanKey?: string;
}
