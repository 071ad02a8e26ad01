/**
 * The shape every queue consumer shares: Powertools' batch processor runs one handler per message and
 * reports partial batch failures, so only the failed messages come back (and, after `maxReceiveCount`,
 * go to the queue's DLQ). Message bodies are validated; they are never logged.
 *
 * A batch whose every message failed is thrown (Powertools' FullBatchFailureError), not reported: Lambda then
 * counts the invocation in the function's `Errors` metric, which the worker-error alarms watch, and returns
 * the messages exactly as a report of every one would. Reporting it instead made a wholly failed batch a
 * successful invocation, so no alarm could fire however long the worker kept failing.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '../observability/logger.ts';

export interface SqsConsumerOptions {
  /**
   * Makes a message visible again after `seconds` (ChangeMessageVisibility on its queue). With it, a handler
   * that throws an error carrying `retryAfterSeconds` (e.g. ProcessorOutageError) has its message come back
   * after that long instead of after the queue's visibility timeout; the message is still reported failed, so
   * it is not deleted. If the change itself fails, the message comes back after the queue's timeout.
   */
  readonly changeVisibility?: (record: SQSRecord, seconds: number) => Promise<void>;
}

/** The delay a handler's error asks for its message, if it asks for one. */
function retryAfterOf(error: unknown): number | undefined {
  const seconds = error instanceof Error ? (error as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : undefined;
}

/** SQS takes a visibility timeout of whole seconds from 0 to 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function createSqsConsumer<Schema extends z.ZodType>(
  messageSchema: Schema,
  handleMessage: (message: z.output<Schema>, record: SQSRecord) => Promise<void>,
  options: SqsConsumerOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const receiveCount = record.attributes.ApproximateReceiveCount;
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = messageSchema.safeParse(body);
    if (!parsed.success) {
      // A malformed message will never succeed: fail it, and the redrive policy moves it to the DLQ.
      logger.error('Malformed queue message', { messageId: record.messageId, receiveCount });
      throw new Error(`Malformed message ${record.messageId}`);
    }
    try {
      await handleMessage(parsed.data, record);
    } catch (error) {
      const retryAfter = retryAfterOf(error);
      if (retryAfter === undefined || options.changeVisibility === undefined) {
        logger.warn('Message failed; it will be redelivered', { messageId: record.messageId, receiveCount, error });
        throw error;
      }
      const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(retryAfter)));
      try {
        await options.changeVisibility(record, seconds);
        logger.warn('Message put off', { messageId: record.messageId, receiveCount, retryAfterSeconds: seconds, reason: String(error) });
      } catch (changeError) {
        logger.error('Message could not be put off; it comes back after the queue visibility timeout', {
          messageId: record.messageId,
          receiveCount,
          error: changeError,
        });
      }
      throw error;
    }
  };
  return (event, context) =>
    processPartialResponse(event, handleRecord, processor, { context });
}
