/**
 * The shape every queue consumer shares: Powertools' batch processor runs one handler per message and
 * reports partial batch failures, so only the failed messages come back (and, after `maxReceiveCount`,
 * go to the queue's DLQ). Message bodies are validated; they are never logged.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '../observability/logger.ts';

export function createSqsConsumer<Schema extends z.ZodType>(
  messageSchema: Schema,
  handleMessage: (message: z.output<Schema>, record: SQSRecord) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return createSqsBatchConsumer(messageSchema, async () => undefined, (message, record) => handleMessage(message, record));
}

/**
 * The same, for a consumer that reads what a whole batch needs at once (`prepare`, given the batch's valid
 * messages) before handling each message with it. If `prepare` fails, every message of the batch fails.
 */
export function createSqsBatchConsumer<Schema extends z.ZodType, Prepared>(
  messageSchema: Schema,
  prepare: (messages: readonly z.output<Schema>[]) => Promise<Prepared>,
  handleMessage: (message: z.output<Schema>, record: SQSRecord, prepared: Prepared) => Promise<void>,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
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
  return async (event, context) => {
    const valid = event.Records.map(parse).flatMap((parsed) => (parsed.success ? [parsed.data] : []));
    const prepared = valid.length === 0 ? undefined : prepare(valid);
    // Settled here too, so that a failed preparation is each message's failure, never an unhandled rejection.
    prepared?.catch(() => undefined);
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const receiveCount = record.attributes.ApproximateReceiveCount;
      const parsed = parse(record);
      if (!parsed.success || prepared === undefined) {
        // A malformed message will never succeed: fail it, and the redrive policy moves it to the DLQ.
        logger.error('Malformed queue message', { messageId: record.messageId, receiveCount });
        throw new Error(`Malformed message ${record.messageId}`);
      }
      try {
        await handleMessage(parsed.data, record, await prepared);
      } catch (error) {
        logger.warn('Message failed; it will be redelivered', { messageId: record.messageId, receiveCount, error });
        throw error;
      }
    };
    return processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
  };
}
