/**
 * The outbox sweep, on a schedule: publishes what writers that died between their write and their relay
 * left in the sparse outbox index. In the usual case the writer published already and this finds nothing.
 */
import { expandTransactionEvent } from '../adapters/transaction-repository.ts';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';
import { logger } from '../observability/logger.ts';
import { outboxOf } from '../wiring/outbox.ts';

const graceSeconds = loadConfig({ [env.outboxSweepGraceSeconds]: z.coerce.number().int().min(0).max(3_600).optional() })[env.outboxSweepGraceSeconds];

const outbox = outboxOf('outboxRelay', {
  // Transactions keep their events compact; the other records' events are whole.
  expand: expandTransactionEvent,
  ...(graceSeconds === undefined ? {} : { sweepGraceMs: graceSeconds * 1000 }),
});

export const handler = async (): Promise<{ published: number }> => {
  const published = await outbox.sweep();
  if (published > 0) logger.warn('Outbox sweep published entries a writer left behind', { published });
  return { published };
};
