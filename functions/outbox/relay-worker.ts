/**
 * The outbox relay, on a schedule: publishes what writers that died between their write and their relay left
 * in the sparse outbox index. In the usual case the writer published already and this finds nothing.
 *
 * A folder of its own because the outbox is no one capability's: payments, customers and orders all write
 * entries, and the relay publishes every record's alike. The store it sweeps is an adapter
 * (functions/adapters/outbox.ts); functions/wiring/outbox-relay.ts gives it this worker.
 */
import { logger } from '../observability/logger.ts';

export interface OutboxRelayDependencies {
  /**
   * Publishes the outboxes older than the sweep's grace period and answers how many entries it published. The
   * grace and the clock it is measured by belong to the store (OutboxOptions `sweepGraceMs`, `clock`).
   */
  readonly outbox: { sweep(): Promise<number> };
}

export function makeOutboxRelayHandler({ outbox }: OutboxRelayDependencies): () => Promise<{ published: number }> {
  return async () => {
    const published = await outbox.sweep();
    if (published > 0) logger.warn('Outbox sweep published entries a writer left behind', { published });
    return { published };
  };
}
