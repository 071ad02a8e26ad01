/**
 * The authorize worker: pending payments from the authorization queue, to the processor and back. Built from
 * its ports (functions/wiring/authorize-worker.ts gives the real ones), so a test hands in fakes and a clock.
 */
import { decodeTime } from 'ulid';
import { logger } from '../observability/logger.ts';
import { createSqsConsumer, type ChangeVisibility, type SqsHandler } from '../sqs/consumer.ts';
import { receivedCommand, transactionMessage } from '../sqs/transaction-command.ts';
import { authorizePayment, type AuthorizePaymentDeps } from './authorize-payment.ts';

export interface AuthorizeWorkerDependencies extends AuthorizePaymentDeps {
  /**
   * Returns a message to its queue after the delay a processor outage asks for (ProcessorOutageError's
   * `retryAfterSeconds`), which may be longer than the queue's visibility timeout.
   */
  readonly changeVisibility: ChangeVisibility;
}

export function makeAuthorizeHandler({ changeVisibility, ...deps }: AuthorizeWorkerDependencies): SqsHandler {
  return createSqsConsumer(
    transactionMessage,
    async (message, record) => {
      const outcome = await authorizePayment(deps, receivedCommand(message, record));
      logger.info('Authorization handled', { transactionId: message.transaction_id, outcome });
    },
    { changeVisibility },
  );
}

/**
 * When a transaction was created, for its outage deadline: the time part of its id (a ULID, core/ids.ts), which
 * a retried request keeps too. An id that is not one waits as if created `now`, and so at worst until the
 * redrive policy dead-letters it.
 */
export function createdAtOf(transactionId: string, now: () => Date): number {
  try {
    return decodeTime(transactionId.slice(transactionId.indexOf('_') + 1));
  } catch {
    return now().getTime();
  }
}
