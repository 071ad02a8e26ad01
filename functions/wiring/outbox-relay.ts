/**
 * The `outboxRelay` function's entry (lib/topology.ts): its real store, built once per container from its
 * configuration, so that a missing or malformed setting fails the cold start.
 */
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { expandTransactionEvent } from '../adapters/transaction-repository.ts';
import { loadConfig } from '../config.ts';
import { makeOutboxRelayHandler } from '../outbox/relay-worker.ts';
import { outboxOf } from './outbox.ts';

const graceSetting = { [env.outboxSweepGraceSeconds]: z.coerce.number().int().min(0).max(3_600).optional() };
const graceSeconds = loadConfig(graceSetting)[env.outboxSweepGraceSeconds];

export const handler = makeOutboxRelayHandler({
  outbox: outboxOf('outboxRelay', {
    // Transactions keep their events compact; the other records' events are whole.
    expand: expandTransactionEvent,
    ...(graceSeconds === undefined ? {} : { sweepGraceMs: graceSeconds * 1000 }),
  }),
});
