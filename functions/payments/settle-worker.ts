/**
 * The settle worker: captured payments from the settlement queue become settled, a batch at a time. Built
 * from its ports (functions/wiring/settle-worker.ts gives the real ones), so a test hands in fakes and a clock.
 */
import { logger } from '../observability/logger.ts';
import { createSqsConsumer, type SqsHandler } from '../sqs/consumer.ts';
import { receivedCommand, transactionMessage } from '../sqs/transaction-command.ts';
import { settlePayment, type CapturePaymentDeps } from './change-payment.ts';

/** The transactions, the orders a settlement marks paid, and the clock of the settlement's time. */
export type SettleWorkerDependencies = CapturePaymentDeps;

export function makeSettleHandler(deps: SettleWorkerDependencies): SqsHandler {
  return createSqsConsumer(transactionMessage, async (message, record) => {
    const outcome = await settlePayment(deps, receivedCommand(message, record));
    logger.debug('Settlement handled', { transactionId: message.transaction_id, outcome });
  });
}
