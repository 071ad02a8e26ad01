/** The message of the authorization and settlement queues (payments/ports.ts), as their consumers receive it. */
import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { ReceivedCommand } from '../payments/ports.ts';

export const transactionMessage = z.object({
  transaction_id: z.string().min(1),
  outbox_entry: z.string().min(1).optional(),
  sealed_cvc: z.string().min(1).optional(),
});

export function receivedCommand(message: z.output<typeof transactionMessage>, record: SQSRecord): ReceivedCommand {
  return {
    transactionId: message.transaction_id,
    outboxEntry: message.outbox_entry,
    sealedCvc: message.sealed_cvc,
    redelivered: Number(record.attributes.ApproximateReceiveCount) > 1,
  };
}
