/**
 * DynamoDB's batch operations: how much each takes, and the loop every caller needs, because a batch can come
 * back partly unprocessed (throttling) and must be sent again, after a pause, until all of it is done.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** BatchGetItem reads at most this many keys per request. */
export const BATCH_GET_LIMIT = 100;
/** BatchWriteItem takes at most this many items per request. */
export const BATCH_WRITE_LIMIT = 25;

/** The longest pause between two rounds of one batch. */
const MAX_PAUSE_MS = 1_000;

/**
 * Sends `requests`, then what each answer left unprocessed, until nothing is left; between rounds it waits a
 * random time up to 50 ms, doubling each round (at most a second), as AWS advises for unprocessed items.
 */
export async function untilProcessed<Request>(
  requests: readonly Request[],
  send: (requests: readonly Request[]) => Promise<readonly Request[] | undefined>,
): Promise<void> {
  let pending = requests;
  for (let round = 0; pending.length > 0; round += 1) {
    if (round > 0) await sleep(Math.random() * Math.min(MAX_PAUSE_MS, 50 * 2 ** (round - 1)));
    pending = (await send(pending)) ?? [];
  }
}
