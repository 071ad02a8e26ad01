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

/** What Lambda invokes with a batch of a queue's messages. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Makes a received message visible again after `seconds` (ChangeMessageVisibility on the consumer's own
 * queue). A port, so that a worker is built and tested without an SQS client.
 */
export type ChangeVisibility = (receiptHandle: string, seconds: number) => Promise<void>;

export interface SqsConsumerOptions {
  /**
   * With it, a handler that throws an error carrying `retryAfterSeconds` (e.g. ProcessorOutageError) has its
   * message come back after that long instead of after the queue's visibility timeout; the message is still
   * reported failed, so it is not deleted. If the change itself fails, the message comes back after the
   * queue's timeout.
   */
  readonly changeVisibility?: ChangeVisibility;
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
): SqsHandler {
  return createSqsBatchConsumer(messageSchema, async () => undefined, (message, record) => handleMessage(message, record), options);
}

/**
 * The same, for a consumer that reads what a whole batch needs at once (`prepare`, given the batch's valid
 * messages) before handling each message with it. If `prepare` fails, every message of the batch fails.
 */
export function createSqsBatchConsumer<Schema extends z.ZodType, Prepared>(
  messageSchema: Schema,
  prepare: (messages: readonly z.output<Schema>[]) => Promise<Prepared>,
  handleMessage: (message: z.output<Schema>, record: SQSRecord, prepared: Prepared) => Promise<void>,
  options: SqsConsumerOptions & {
    /** Runs once every message of a batch was handled (or failed), with what `prepare` made: e.g. a summary. */
    readonly afterBatch?: (prepared: Prepared) => void;
  } = {},
): SqsHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const parse = (record: SQSRecord): z.ZodSafeParseResult<z.output<Schema>> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    return messageSchema.safeParse(body);
  };
  /** A failed message comes back after the delay its error asks for, or after the queue's visibility timeout. */
  const putOff = async (record: SQSRecord, error: unknown): Promise<void> => {
    const receiveCount = record.attributes.ApproximateReceiveCount;
    const retryAfter = retryAfterOf(error);
    if (retryAfter === undefined || options.changeVisibility === undefined) {
      logger.warn('Message failed; it will be redelivered', { messageId: record.messageId, receiveCount, error });
      return;
    }
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(retryAfter)));
    try {
      await options.changeVisibility(record.receiptHandle, seconds);
      logger.warn('Message put off', { messageId: record.messageId, receiveCount, retryAfterSeconds: seconds, reason: String(error) });
    } catch (changeError) {
      logger.error('Message could not be put off; it comes back after the queue visibility timeout', {
        messageId: record.messageId,
        receiveCount,
        error: changeError,
      });
    }
  };
  return async (event, context) => {
    // Each body parsed once: for the batch's preparation and for its own handling.
    const parsedById = new Map(event.Records.map((record) => [record.messageId, parse(record)]));
    const valid = [...parsedById.values()].flatMap((parsed) => (parsed.success ? [parsed.data] : []));
    const prepared = valid.length === 0 ? undefined : prepare(valid);
    // Settled here too, so that a failed preparation is each message's failure, never an unhandled rejection.
    prepared?.catch(() => undefined);
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const parsed = parsedById.get(record.messageId) ?? parse(record);
      if (!parsed.success || prepared === undefined) {
        // A malformed message will never succeed: fail it, and the redrive policy moves it to the DLQ.
        logger.error('Malformed queue message', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount });
        throw new Error(`Malformed message ${record.messageId}`);
      }
      try {
        await handleMessage(parsed.data, record, await prepared);
      } catch (error) {
        await putOff(record, error);
        throw error;
      }
    };
    try {
      return await processPartialResponse(event, handleRecord, processor, { context });
    } finally {
      if (prepared !== undefined && options.afterBatch !== undefined) {
        const { afterBatch } = options;
        await prepared.then(afterBatch, () => undefined);
      }
    }
  };
}
