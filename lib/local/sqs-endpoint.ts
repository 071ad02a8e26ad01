/**
 * A small SQS on loopback, speaking the AWS JSON 1.0 protocol that the current @aws-sdk/client-sqs uses
 * (POST /, `x-amz-target: AmazonSQS.<Operation>`), so the very adapters that run in Lambda run unchanged
 * against it. Written by hand because no pure-JS SQS emulator on npm speaks the JSON protocol.
 *
 * What it does: standard queues with CreateQueue, GetQueueUrl, GetQueueAttributes, SetQueueAttributes,
 * SendMessage(Batch), ReceiveMessage (long polling, visibility timeout, system and message attributes),
 * DeleteMessage(Batch), ChangeMessageVisibility, PurgeQueue; delays; message retention; redrive to a
 * dead-letter queue after `maxReceiveCount` receives; correct MD5s of bodies and message attributes; state
 * kept under a folder across restarts (see sqs-store.ts).
 *
 * What it does NOT do: FIFO queues (MessageGroupId, MessageDeduplicationId, sequence numbers, `.fifo` names
 * are refused); fair queues; the query (XML) protocol; signature checks (any credentials are accepted);
 * DeleteQueue, ListQueues, tags, permissions, ChangeMessageVisibilityBatch, message move tasks;
 * RedriveAllowPolicy, queue policies and SSE (accepted and ignored); the one-purge-per-60-seconds limit;
 * the 12-hour cap on a message's total visibility; the sampling of short polls (every visible message is
 * a candidate) and the occasional duplicate delivery of a standard queue.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account.ts';
import type { LocalClock } from './clock.ts';
import {
  SqsStore,
  queueArn,
  queueNameOfArn,
  type MessageAttributeValue,
  type QueueDepth,
  type QueueSettings,
  type RedrivePolicy,
  type StoredMessage,
} from './sqs-store.ts';

export interface SqsEndpoint {
  /** The endpoint to give an SQSClient (`AWS_ENDPOINT_URL_SQS`). */
  readonly url: string;
  readonly region: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** Requests served since start, for the benchmark. */
  requestCount(): number;
  /** The same, by operation (`SendMessage`, `ReceiveMessage`, ...). */
  requestCounts(): Record<string, number>;
  /** How many messages a queue holds, by state; for tests and the benchmark. */
  depth(queueName: string): QueueDepth;
  close(): Promise<void>;
}

export interface SqsEndpointOptions {
  /** Folder for the queues' state; in memory only when absent. */
  readonly dataDir?: string;
  readonly port?: number;
  readonly host?: string;
  readonly region?: string;
  /** What visibility timeouts, delays and long polls go by; the system clock unless given (tests advance one). */
  readonly clock?: LocalClock;
}

const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const MAX_BATCH_ENTRIES = 10;

export async function startSqsEndpoint(options: SqsEndpointOptions = {}): Promise<SqsEndpoint> {
  const region = options.region ?? LOCAL_REGION;
  const store = SqsStore.open({
    region,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  let requests = 0;
  const counts: Record<string, number> = {};
  let url = '';
  const server = createServer((request, response) => {
    requests += 1;
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.replace(/^AmazonSQS\./, '') : 'unknown';
    counts[operation] = (counts[operation] ?? 0) + 1;
    void serve(request, response, { store, region, queueUrl: (name) => `${url}/${LOCAL_ACCOUNT_ID}/${name}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    region,
    queueUrl: (name) => `${url}/${LOCAL_ACCOUNT_ID}/${name}`,
    queueArn: (name) => queueArn(region, name),
    requestCount: () => requests,
    requestCounts: () => ({ ...counts }),
    depth: (name) => store.depth(name),
    close: async () => {
      // Ends the long polls first, so that their responses go out before the connections close.
      store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setImmediate(() => server.closeAllConnections());
      });
    },
  };
}

interface ServeContext {
  readonly store: SqsStore;
  readonly region: string;
  queueUrl(name: string): string;
}

/** An SQS error as the JSON protocol carries it; `queryCode` is the legacy code the SDK maps back. */
class SqsError extends Error {
  constructor(
    readonly type: string,
    readonly queryCode: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const errors = {
  queueDoesNotExist: (name: string) =>
    new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 400, `The specified queue ${name} does not exist.`),
  queueNameExists: (name: string) =>
    new SqsError('QueueNameExists', 'QueueAlreadyExists', 400, `A queue named ${name} already exists with different attributes.`),
  invalidAddress: (queueUrl: string) => new SqsError('InvalidAddress', 'InvalidAddress', 404, `Not a queue URL: ${queueUrl}`),
  receiptHandleIsInvalid: () =>
    new SqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404, 'The input receipt handle is invalid.'),
  messageNotInflight: () =>
    new SqsError('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 400, 'The message is not in flight.'),
  invalidParameterValue: (message: string) => new SqsError('InvalidParameterValue', 'InvalidParameterValue', 400, message),
  invalidAttributeName: (message: string) => new SqsError('InvalidAttributeName', 'InvalidAttributeName', 400, message),
  invalidAttributeValue: (message: string) => new SqsError('InvalidAttributeValue', 'InvalidAttributeValue', 400, message),
  invalidMessageContents: () =>
    new SqsError('InvalidMessageContents', 'InvalidMessageContents', 400, 'The message contains characters outside the allowed set.'),
  unsupported: (message: string) =>
    new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 400, message),
  emptyBatch: () => new SqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 400, 'The batch request does not contain any entries.'),
  tooManyEntries: () =>
    new SqsError('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400, `A batch holds at most ${MAX_BATCH_ENTRIES} entries.`),
  idsNotDistinct: () =>
    new SqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400, 'Two or more batch entries have the same Id.'),
  invalidBatchEntryId: () =>
    new SqsError('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 400, 'A batch entry Id must be 1 to 80 characters of A-Z, a-z, 0-9, - and _.'),
  batchTooLong: (limit: number) =>
    new SqsError('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', 400, `The batch's messages add up to more than ${limit} bytes.`),
};

async function serve(request: IncomingMessage, response: ServerResponse, context: ServeContext): Promise<void> {
  const requestId = randomUUID();
  const aborted = new AbortController();
  response.on('close', () => {
    if (!response.writableEnded) aborted.abort();
  });
  try {
    if (request.method !== 'POST') throw new SqsError('InvalidAction', 'InvalidAction', 400, 'Only POST is supported.');
    const target = request.headers['x-amz-target'];
    const contentType = request.headers['content-type'] ?? '';
    if (typeof target !== 'string' || !target.startsWith('AmazonSQS.') || !contentType.startsWith('application/x-amz-json-1.0')) {
      throw new SqsError(
        'UnsupportedOperation',
        'AWS.SimpleQueueService.UnsupportedOperation',
        400,
        'Only the AWS JSON 1.0 protocol is supported (x-amz-target AmazonSQS.<Operation>).',
      );
    }
    const raw = await readBody(request);
    let input: unknown;
    try {
      input = raw.length === 0 ? {} : JSON.parse(raw);
    } catch {
      throw new SqsError('SerializationException', 'SerializationException', 400, 'The request body is not JSON.');
    }
    const senderId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? LOCAL_ACCOUNT_ID;
    const output = await dispatch(target.slice('AmazonSQS.'.length), input, { ...context, senderId, signal: aborted.signal });
    if (aborted.signal.aborted) return;
    respond(response, 200, requestId, output);
  } catch (error) {
    if (aborted.signal.aborted) return;
    if (error instanceof SqsError) {
      respond(response, error.status, requestId, { __type: `com.amazonaws.sqs#${error.type}`, message: error.message }, {
        'x-amzn-query-error': `${error.queryCode};${error.status < 500 ? 'Sender' : 'Receiver'}`,
      });
      return;
    }
    console.error(`[sqs] internal error: ${error instanceof Error ? error.message : String(error)}`);
    respond(response, 500, requestId, { __type: 'com.amazonaws.sqs#InternalError', message: 'Internal error.' }, {
      'x-amzn-query-error': 'InternalError;Receiver',
    });
  }
}

function respond(response: ServerResponse, status: number, requestId: string, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  response.end(payload);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) throw errors.invalidParameterValue('The request is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface OperationContext extends ServeContext {
  readonly senderId: string;
  readonly signal: AbortSignal;
}

async function dispatch(operation: string, input: unknown, context: OperationContext): Promise<unknown> {
  switch (operation) {
    case 'CreateQueue':
      return createQueue(parse(schemas.createQueue, input), context);
    case 'GetQueueUrl': {
      const { QueueName } = parse(schemas.getQueueUrl, input);
      if (!context.store.hasQueue(QueueName)) throw errors.queueDoesNotExist(QueueName);
      return { QueueUrl: context.queueUrl(QueueName) };
    }
    case 'GetQueueAttributes':
      return getQueueAttributes(parse(schemas.getQueueAttributes, input), context);
    case 'SetQueueAttributes': {
      const { QueueUrl, Attributes } = parse(schemas.setQueueAttributes, input);
      const name = queueOf(QueueUrl, context);
      const current = context.store.settingsOf(name);
      context.store.putQueue(name, { ...settingsFrom(Attributes, current, context), lastModifiedAt: context.store.now() });
      return {};
    }
    case 'SendMessage': {
      const request = parse(schemas.sendMessage, input);
      const name = queueOf(request.QueueUrl, context);
      const message = newMessage(request, name, context);
      context.store.send(name, message);
      return {
        MessageId: message.id,
        MD5OfMessageBody: message.md5OfBody,
        ...(message.md5OfMessageAttributes === undefined ? {} : { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
      };
    }
    case 'SendMessageBatch':
      return sendMessageBatch(parse(schemas.sendMessageBatch, input), context);
    case 'ReceiveMessage':
      return receiveMessage(parse(schemas.receiveMessage, input), context);
    case 'DeleteMessage': {
      const { QueueUrl, ReceiptHandle } = parse(schemas.deleteMessage, input);
      const name = queueOf(QueueUrl, context);
      const messageId = context.store.messageIdOfHandle(ReceiptHandle);
      if (messageId === undefined) throw errors.receiptHandleIsInvalid();
      context.store.delete(name, messageId, ReceiptHandle);
      return {};
    }
    case 'DeleteMessageBatch': {
      const { QueueUrl, Entries } = parse(schemas.deleteMessageBatch, input);
      const name = queueOf(QueueUrl, context);
      checkBatch(Entries);
      const Successful: { Id: string }[] = [];
      const Failed: BatchFailure[] = [];
      for (const entry of Entries) {
        const messageId = context.store.messageIdOfHandle(entry.ReceiptHandle);
        if (messageId === undefined) {
          Failed.push(failure(entry.Id, errors.receiptHandleIsInvalid()));
          continue;
        }
        context.store.delete(name, messageId, entry.ReceiptHandle);
        Successful.push({ Id: entry.Id });
      }
      return { Successful, Failed };
    }
    case 'ChangeMessageVisibility': {
      const { QueueUrl, ReceiptHandle, VisibilityTimeout } = parse(schemas.changeMessageVisibility, input);
      const name = queueOf(QueueUrl, context);
      const messageId = context.store.messageIdOfHandle(ReceiptHandle);
      if (messageId === undefined) throw errors.receiptHandleIsInvalid();
      if (!context.store.changeVisibility(name, messageId, ReceiptHandle, VisibilityTimeout)) throw errors.messageNotInflight();
      return {};
    }
    case 'PurgeQueue': {
      const { QueueUrl } = parse(schemas.purgeQueue, input);
      context.store.purge(queueOf(QueueUrl, context));
      return {};
    }
    default:
      throw new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 400, `${operation} is not supported by the local SQS.`);
  }
}

const integer = (min: number, max: number) => z.number().int().min(min).max(max);
const messageAttributeSchema = z.object({
  DataType: z.string(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
  StringListValues: z.array(z.string()).optional(),
  BinaryListValues: z.array(z.string()).optional(),
});
const sendEntryFields = {
  MessageBody: z.string(),
  DelaySeconds: integer(0, 900).optional(),
  MessageAttributes: z.record(z.string(), messageAttributeSchema).optional(),
  MessageSystemAttributes: z.record(z.string(), messageAttributeSchema).optional(),
  MessageDeduplicationId: z.string().optional(),
  MessageGroupId: z.string().optional(),
};
const schemas = {
  createQueue: z.object({
    QueueName: z.string(),
    Attributes: z.record(z.string(), z.string()).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  }),
  getQueueUrl: z.object({ QueueName: z.string(), QueueOwnerAWSAccountId: z.string().optional() }),
  getQueueAttributes: z.object({ QueueUrl: z.string(), AttributeNames: z.array(z.string()).optional() }),
  setQueueAttributes: z.object({ QueueUrl: z.string(), Attributes: z.record(z.string(), z.string()) }),
  sendMessage: z.object({ QueueUrl: z.string(), ...sendEntryFields }),
  sendMessageBatch: z.object({
    QueueUrl: z.string(),
    Entries: z.array(z.object({ Id: z.string(), ...sendEntryFields })),
  }),
  receiveMessage: z.object({
    QueueUrl: z.string(),
    AttributeNames: z.array(z.string()).optional(),
    MessageSystemAttributeNames: z.array(z.string()).optional(),
    MessageAttributeNames: z.array(z.string()).optional(),
    MaxNumberOfMessages: integer(1, 10).optional(),
    VisibilityTimeout: integer(0, 43_200).optional(),
    WaitTimeSeconds: integer(0, 20).optional(),
    ReceiveRequestAttemptId: z.string().optional(),
  }),
  deleteMessage: z.object({ QueueUrl: z.string(), ReceiptHandle: z.string() }),
  deleteMessageBatch: z.object({
    QueueUrl: z.string(),
    Entries: z.array(z.object({ Id: z.string(), ReceiptHandle: z.string() })),
  }),
  changeMessageVisibility: z.object({ QueueUrl: z.string(), ReceiptHandle: z.string(), VisibilityTimeout: integer(0, 43_200) }),
  purgeQueue: z.object({ QueueUrl: z.string() }),
};

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? '' : `${issue.path.join('.')}: `;
  if (issue?.code === 'invalid_type' && issue.input === undefined) {
    throw new SqsError('MissingParameter', 'MissingParameter', 400, `${where}${issue.message}`);
  }
  throw errors.invalidParameterValue(`${where}${issue?.message ?? 'invalid request'}`);
}

/** The queue a URL names; the host part is ignored, so a URL from before a restart on another port still works. */
function queueOf(queueUrl: string, context: OperationContext): string {
  let name: string | undefined;
  try {
    const segments = new URL(queueUrl).pathname.split('/').filter((segment) => segment !== '');
    name = segments.length === 2 ? segments[1] : undefined;
  } catch {
    throw errors.invalidAddress(queueUrl);
  }
  if (name === undefined) throw errors.invalidAddress(queueUrl);
  if (!context.store.hasQueue(name)) throw errors.queueDoesNotExist(name);
  return name;
}

// --- queues ---------------------------------------------------------------------------------------------

const settableAttributes = {
  VisibilityTimeout: [0, 43_200],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  MessageRetentionPeriod: [60, 1_209_600],
  MaximumMessageSize: [1024, 1_048_576],
} as const;
type SettableAttribute = keyof typeof settableAttributes;

/** Accepted so that real-world CreateQueue calls work, but without effect here (see the header). */
const ignoredAttributes = new Set(['Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'RedriveAllowPolicy']);

function defaultSettings(now: number): QueueSettings {
  return {
    visibilityTimeoutSeconds: 30,
    delaySeconds: 0,
    receiveMessageWaitTimeSeconds: 0,
    messageRetentionSeconds: 345_600,
    maximumMessageSize: 1_048_576,
    createdAt: now,
    lastModifiedAt: now,
  };
}

function settingsFrom(attributes: Record<string, string>, base: QueueSettings, context: OperationContext): QueueSettings {
  let settings: QueueSettings = { ...base };
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'FifoQueue' || name === 'ContentBasedDeduplication' || name === 'DeduplicationScope' || name === 'FifoThroughputLimit') {
      if (value === 'false') continue;
      throw errors.unsupported('FIFO queues are not supported by the local SQS.');
    }
    if (ignoredAttributes.has(name)) continue;
    if (name === 'RedrivePolicy') {
      if (value === '') {
        const { redrivePolicy: _removed, ...rest } = settings;
        settings = rest;
      } else {
        settings = { ...settings, redrivePolicy: parseRedrivePolicy(value, context) };
      }
      continue;
    }
    if (!(name in settableAttributes)) throw errors.invalidAttributeName(`Unknown attribute ${name}.`);
    const [min, max] = settableAttributes[name as SettableAttribute];
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw errors.invalidAttributeValue(`${name} must be an integer from ${min} to ${max}.`);
    }
    settings = { ...settings, ...settingOf(name as SettableAttribute, number) };
  }
  return settings;
}

function settingOf(name: SettableAttribute, value: number): Partial<QueueSettings> {
  switch (name) {
    case 'VisibilityTimeout':
      return { visibilityTimeoutSeconds: value };
    case 'DelaySeconds':
      return { delaySeconds: value };
    case 'ReceiveMessageWaitTimeSeconds':
      return { receiveMessageWaitTimeSeconds: value };
    case 'MessageRetentionPeriod':
      return { messageRetentionSeconds: value };
    case 'MaximumMessageSize':
      return { maximumMessageSize: value };
  }
}

const redrivePolicySchema = z.object({
  deadLetterTargetArn: z.string(),
  maxReceiveCount: z.union([z.number(), z.string()]).transform(Number).pipe(integer(1, 1000)),
});

function parseRedrivePolicy(value: string, context: OperationContext): RedrivePolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw errors.invalidAttributeValue('RedrivePolicy must be JSON.');
  }
  const policy = redrivePolicySchema.safeParse(parsed);
  if (!policy.success) {
    throw errors.invalidAttributeValue('RedrivePolicy needs deadLetterTargetArn and maxReceiveCount from 1 to 1000.');
  }
  const target = queueNameOfArn(policy.data.deadLetterTargetArn);
  if (target === undefined || !context.store.hasQueue(target)) {
    throw errors.invalidAttributeValue(`The dead-letter queue ${policy.data.deadLetterTargetArn} does not exist.`);
  }
  return policy.data;
}

function attributesOf(name: string, settings: QueueSettings, context: OperationContext): Record<string, string> {
  const depth = context.store.depth(name);
  return {
    QueueArn: queueArn(context.region, name),
    ApproximateNumberOfMessages: String(depth.visible),
    ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
    ApproximateNumberOfMessagesDelayed: String(depth.delayed),
    CreatedTimestamp: String(Math.floor(settings.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(settings.lastModifiedAt / 1000)),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    DelaySeconds: String(settings.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    MessageRetentionPeriod: String(settings.messageRetentionSeconds),
    MaximumMessageSize: String(settings.maximumMessageSize),
    SqsManagedSseEnabled: 'false',
    ...(settings.redrivePolicy === undefined ? {} : { RedrivePolicy: JSON.stringify(settings.redrivePolicy) }),
  };
}

function createQueue(request: z.infer<typeof schemas.createQueue>, context: OperationContext): unknown {
  const name = request.QueueName;
  if (name.endsWith('.fifo')) throw errors.unsupported('FIFO queues are not supported by the local SQS.');
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw errors.invalidParameterValue('A queue name is 1 to 80 characters of A-Z, a-z, 0-9, - and _.');
  }
  const attributes = request.Attributes ?? {};
  const existing = context.store.hasQueue(name) ? context.store.settingsOf(name) : undefined;
  const wanted = settingsFrom(attributes, existing ?? defaultSettings(context.store.now()), context);
  if (existing === undefined) {
    context.store.putQueue(name, wanted);
  } else if (!sameSettings(existing, wanted)) {
    throw errors.queueNameExists(name);
  }
  return { QueueUrl: context.queueUrl(name) };
}

function sameSettings(a: QueueSettings, b: QueueSettings): boolean {
  return (
    a.visibilityTimeoutSeconds === b.visibilityTimeoutSeconds &&
    a.delaySeconds === b.delaySeconds &&
    a.receiveMessageWaitTimeSeconds === b.receiveMessageWaitTimeSeconds &&
    a.messageRetentionSeconds === b.messageRetentionSeconds &&
    a.maximumMessageSize === b.maximumMessageSize &&
    a.redrivePolicy?.deadLetterTargetArn === b.redrivePolicy?.deadLetterTargetArn &&
    a.redrivePolicy?.maxReceiveCount === b.redrivePolicy?.maxReceiveCount
  );
}

function getQueueAttributes(request: z.infer<typeof schemas.getQueueAttributes>, context: OperationContext): unknown {
  const name = queueOf(request.QueueUrl, context);
  const settings = context.store.settingsOf(name);
  const all = attributesOf(name, settings, context);
  const wanted = request.AttributeNames ?? [];
  if (wanted.includes('All')) return { Attributes: all };
  const Attributes: Record<string, string> = {};
  for (const attribute of wanted) {
    const value = all[attribute];
    if (value !== undefined) Attributes[attribute] = value;
    else if (attribute !== 'RedrivePolicy' && !ignoredAttributes.has(attribute)) {
      throw errors.invalidAttributeName(`Unknown attribute ${attribute}.`);
    }
  }
  return Object.keys(Attributes).length === 0 ? {} : { Attributes };
}

// --- messages -------------------------------------------------------------------------------------------

type SendEntry = z.infer<typeof schemas.sendMessage> | z.infer<typeof schemas.sendMessageBatch>['Entries'][number];

// The characters SQS accepts in a body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
const FORBIDDEN_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function newMessage(entry: SendEntry, queue: string, context: OperationContext): StoredMessage {
  if (entry.MessageGroupId !== undefined || entry.MessageDeduplicationId !== undefined) {
    throw errors.unsupported('MessageGroupId and MessageDeduplicationId (FIFO and fair queues) are not supported by the local SQS.');
  }
  if (entry.MessageBody.length === 0) throw errors.invalidParameterValue('The message body must not be empty.');
  if (FORBIDDEN_BODY_CHARACTER.test(entry.MessageBody)) throw errors.invalidMessageContents();
  const settings = context.store.settingsOf(queue);
  const attributes = checkMessageAttributes(entry.MessageAttributes ?? {});
  const size = Buffer.byteLength(entry.MessageBody) + attributesSize(attributes);
  if (size > settings.maximumMessageSize) {
    throw errors.invalidParameterValue(`The message is ${size} bytes, over the queue's limit of ${settings.maximumMessageSize}.`);
  }
  const traceHeader = entry.MessageSystemAttributes?.['AWSTraceHeader']?.StringValue;
  const now = context.store.now();
  const md5OfMessageAttributes = Object.keys(attributes).length === 0 ? undefined : md5OfAttributes(attributes);
  return {
    id: randomUUID(),
    body: entry.MessageBody,
    md5OfBody: md5Hex(Buffer.from(entry.MessageBody, 'utf8')),
    messageAttributes: attributes,
    ...(md5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes }),
    ...(traceHeader === undefined ? {} : { awsTraceHeader: traceHeader }),
    senderId: context.senderId,
    sentAt: now,
    visibleAt: now + (entry.DelaySeconds ?? settings.delaySeconds) * 1000,
    receiveCount: 0,
  };
}

function checkMessageAttributes(
  attributes: Record<string, z.infer<typeof messageAttributeSchema>>,
): Record<string, MessageAttributeValue> {
  const names = Object.keys(attributes);
  if (names.length > 10) throw errors.invalidParameterValue('A message carries at most 10 message attributes.');
  const checked: Record<string, MessageAttributeValue> = {};
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw errors.invalidParameterValue(`Message attribute name '${name}' is invalid.`);
    }
    if (attribute.StringListValues !== undefined || attribute.BinaryListValues !== undefined) {
      throw errors.invalidParameterValue('StringListValues and BinaryListValues are reserved by SQS.');
    }
    const kind = /^(String|Number|Binary)(\..+)?$/.exec(attribute.DataType)?.[1];
    if (kind === undefined) throw errors.invalidParameterValue(`Message attribute '${name}' has an invalid DataType.`);
    if (kind === 'Binary') {
      if (attribute.BinaryValue === undefined) throw errors.invalidParameterValue(`Message attribute '${name}' needs a BinaryValue.`);
      checked[name] = { DataType: attribute.DataType, BinaryValue: attribute.BinaryValue };
      continue;
    }
    if (attribute.StringValue === undefined || attribute.StringValue === '') {
      throw errors.invalidParameterValue(`Message attribute '${name}' needs a StringValue.`);
    }
    if (kind === 'Number' && !Number.isFinite(Number(attribute.StringValue))) {
      throw errors.invalidParameterValue(`Message attribute '${name}' is not a number.`);
    }
    checked[name] = { DataType: attribute.DataType, StringValue: attribute.StringValue };
  }
  return checked;
}

function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType) + attributeValueBytes(attribute).length;
  }
  return size;
}

function attributeValueBytes(attribute: MessageAttributeValue): Buffer {
  return attribute.BinaryValue !== undefined ? Buffer.from(attribute.BinaryValue, 'base64') : Buffer.from(attribute.StringValue ?? '', 'utf8');
}

/** SQS's digest of message attributes: names sorted; each name, type, transport byte and value length-prefixed. */
export function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.DataType, 'utf8'));
    parts.push(Buffer.from([attribute.BinaryValue !== undefined ? 2 : 1]));
    lengthPrefixed(attributeValueBytes(attribute));
  }
  return md5Hex(Buffer.concat(parts));
}

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

function failure(id: string, error: SqsError): BatchFailure {
  return { Id: id, SenderFault: error.status < 500, Code: error.queryCode, Message: error.message };
}

function checkBatch(entries: readonly { Id: string }[]): void {
  if (entries.length === 0) throw errors.emptyBatch();
  if (entries.length > MAX_BATCH_ENTRIES) throw errors.tooManyEntries();
  if (entries.some((entry) => !/^[A-Za-z0-9_-]{1,80}$/.test(entry.Id))) throw errors.invalidBatchEntryId();
  if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) throw errors.idsNotDistinct();
}

function sendMessageBatch(request: z.infer<typeof schemas.sendMessageBatch>, context: OperationContext): unknown {
  const name = queueOf(request.QueueUrl, context);
  checkBatch(request.Entries);
  const limit = context.store.settingsOf(name).maximumMessageSize;
  const total = request.Entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody), 0);
  if (total > limit) throw errors.batchTooLong(limit);
  const Successful: unknown[] = [];
  const Failed: BatchFailure[] = [];
  for (const entry of request.Entries) {
    let message: StoredMessage;
    try {
      message = newMessage(entry, name, context);
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push(failure(entry.Id, error));
      continue;
    }
    context.store.send(name, message);
    Successful.push({
      Id: entry.Id,
      MessageId: message.id,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes === undefined ? {} : { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
    });
  }
  return { Successful, Failed };
}

const systemAttributeNames = [
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SentTimestamp',
  'SenderId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

async function receiveMessage(request: z.infer<typeof schemas.receiveMessage>, context: OperationContext): Promise<unknown> {
  const name = queueOf(request.QueueUrl, context);
  const settings = context.store.settingsOf(name);
  const waitSeconds = request.WaitTimeSeconds ?? settings.receiveMessageWaitTimeSeconds;
  const messages = await context.store.takeWaiting(
    name,
    request.MaxNumberOfMessages ?? 1,
    request.VisibilityTimeout ?? settings.visibilityTimeoutSeconds,
    context.store.now() + waitSeconds * 1000,
    context.signal,
  );
  if (messages.length === 0) return {};
  const wantedSystem = new Set([...(request.AttributeNames ?? []), ...(request.MessageSystemAttributeNames ?? [])]);
  const wantedAttributes = request.MessageAttributeNames ?? [];
  return {
    Messages: messages.map((message) => {
      const systemAttributes = pickSystemAttributes(message, wantedSystem);
      const messageAttributes = pickMessageAttributes(message.messageAttributes, wantedAttributes);
      return {
        MessageId: message.id,
        ReceiptHandle: message.receiptHandle,
        MD5OfBody: message.md5OfBody,
        Body: message.body,
        ...(Object.keys(systemAttributes).length === 0 ? {} : { Attributes: systemAttributes }),
        ...(Object.keys(messageAttributes).length === 0
          ? {}
          : { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfAttributes(messageAttributes) }),
      };
    }),
  };
}

function pickSystemAttributes(message: StoredMessage, wanted: ReadonlySet<string>): Record<string, string> {
  const all = wanted.has('All');
  const values: Record<(typeof systemAttributeNames)[number], string | undefined> = {
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    SentTimestamp: String(message.sentAt),
    SenderId: message.senderId,
    AWSTraceHeader: message.awsTraceHeader,
    DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn,
  };
  const picked: Record<string, string> = {};
  for (const name of systemAttributeNames) {
    const value = values[name];
    if (value !== undefined && (all || wanted.has(name))) picked[name] = value;
  }
  return picked;
}

function pickMessageAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>>,
  wanted: readonly string[],
): Record<string, MessageAttributeValue> {
  const picked: Record<string, MessageAttributeValue> = {};
  const matches = (name: string): boolean =>
    wanted.some((pattern) => {
      if (pattern === 'All' || pattern === '.*') return true;
      if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
      return pattern === name;
    });
  for (const [name, attribute] of Object.entries(attributes)) if (matches(name)) picked[name] = attribute;
  return picked;
}
