/**
 * What a million payments cost on AWS, from what one payment used on the local runtime. Public us-east-1
 * list prices, on-demand, without the free tier or volume tiers, as of 2025; each one names its page.
 * Fixed monthly costs (KMS key storage, the outbox sweep's schedule, DynamoDB storage, alarms) do not
 * grow with payments and are left out.
 */

/** https://aws.amazon.com/api-gateway/pricing/ — REST API, first 333 million requests a month. */
export const API_GATEWAY_REST_USD_PER_MILLION_REQUESTS = 3.5;
/** https://aws.amazon.com/lambda/pricing/ — requests, any architecture. */
export const LAMBDA_USD_PER_MILLION_REQUESTS = 0.2;
/** https://aws.amazon.com/lambda/pricing/ — Arm (arm64) duration, first 7.5 billion GB-seconds a month. */
export const LAMBDA_ARM_USD_PER_GB_SECOND = 0.0000133334;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — write request units (standard table class, since Nov 2024). */
export const DYNAMODB_USD_PER_MILLION_WRITE_UNITS = 0.625;
/** https://aws.amazon.com/dynamodb/pricing/on-demand/ — read request units (standard table class, since Nov 2024). */
export const DYNAMODB_USD_PER_MILLION_READ_UNITS = 0.125;
/**
 * https://aws.amazon.com/sqs/pricing/ — standard queues; every 64 KB chunk of a request is billed as one
 * request. The gateway's messages are ids of a few hundred bytes, so each request is one chunk.
 */
export const SQS_USD_PER_MILLION_REQUESTS = 0.4;
/** https://aws.amazon.com/kms/pricing/ — $0.03 per 10,000 symmetric requests. */
export const KMS_USD_PER_REQUEST = 0.03 / 10_000;
/** https://aws.amazon.com/cloudwatch/pricing/ — Logs, standard ingestion, per GB. */
export const CLOUDWATCH_LOGS_USD_PER_GB_INGESTED = 0.5;
/** https://aws.amazon.com/xray/pricing/ — traces recorded (the functions run with active tracing). */
export const XRAY_USD_PER_MILLION_TRACES = 5;

/** X-Ray's default sampling rule records 1 request a second plus 5% of the rest: at volume, about 5%. */
export const XRAY_DEFAULT_SAMPLED_FRACTION = 0.05;
/**
 * Lambda's own START, END and REPORT lines (with the X-Ray trace id) for each invocation, in bytes; an
 * estimate from their documented format, since the local runtime does not write them.
 */
export const LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION = 320;

const GIGABYTE = 1024 ** 3;

export interface FunctionUsage {
  readonly name: string;
  readonly memoryMb: number;
  /** Per payment. */
  readonly invocations: number;
  /** Per payment: the sum of each invocation's duration rounded up to the millisecond, as Lambda bills. */
  readonly billedMs: number;
}

/** What one payment used, on average. */
export interface PaymentUsage {
  readonly apiRequests: number;
  readonly functions: readonly FunctionUsage[];
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** SQS requests, each under 64 KB (see SQS_USD_PER_MILLION_REQUESTS). */
  readonly sqsRequests: number;
  readonly kmsRequests: number;
  /** What the functions wrote to their logs, without Lambda's own lines (added here). */
  readonly logBytes: number;
}

export interface CostLine {
  readonly item: string;
  /** How much of the priced unit one payment uses, e.g. 2.5 write units. */
  readonly quantityPerPayment: number;
  readonly unit: string;
  readonly usdPerMillionPayments: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsdPerMillionPayments: number;
}

const MILLION = 1_000_000;

/** The cost of a million payments, line by line, from what one payment used. */
export function costPerMillionPayments(usage: PaymentUsage): CostEstimate {
  const invocations = usage.functions.reduce((total, fn) => total + fn.invocations, 0);
  const gigabyteSeconds = usage.functions.reduce((total, fn) => total + (fn.memoryMb / 1024) * (fn.billedMs / 1000), 0);
  const logBytes = usage.logBytes + invocations * LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION;
  const traces = invocations * XRAY_DEFAULT_SAMPLED_FRACTION;
  const line = (item: string, quantityPerPayment: number, unit: string, usdPerUnit: number): CostLine => ({
    item,
    quantityPerPayment,
    unit,
    usdPerMillionPayments: quantityPerPayment * usdPerUnit * MILLION,
  });
  const lines = [
    line('API Gateway REST requests', usage.apiRequests, 'requests', API_GATEWAY_REST_USD_PER_MILLION_REQUESTS / MILLION),
    line('Lambda requests', invocations, 'invocations', LAMBDA_USD_PER_MILLION_REQUESTS / MILLION),
    line('Lambda arm64 duration', gigabyteSeconds, 'GB-s', LAMBDA_ARM_USD_PER_GB_SECOND),
    line('DynamoDB on-demand writes', usage.dynamoWriteUnits, 'WRU', DYNAMODB_USD_PER_MILLION_WRITE_UNITS / MILLION),
    line('DynamoDB on-demand reads', usage.dynamoReadUnits, 'RRU', DYNAMODB_USD_PER_MILLION_READ_UNITS / MILLION),
    line('SQS requests (64 KB chunks)', usage.sqsRequests, 'requests', SQS_USD_PER_MILLION_REQUESTS / MILLION),
    line('KMS requests', usage.kmsRequests, 'requests', KMS_USD_PER_REQUEST),
    line('CloudWatch Logs ingestion', logBytes / GIGABYTE, 'GB', CLOUDWATCH_LOGS_USD_PER_GB_INGESTED),
    line('X-Ray traces (5% sampled, estimate)', traces, 'traces', XRAY_USD_PER_MILLION_TRACES / MILLION),
  ];
  return { lines, totalUsdPerMillionPayments: lines.reduce((total, entry) => total + entry.usdPerMillionPayments, 0) };
}

/** Lambda rounds each invocation's duration up to the millisecond. */
export function billedMilliseconds(durationsMs: readonly number[]): number {
  return durationsMs.reduce((total, ms) => total + Math.max(1, Math.ceil(ms)), 0);
}
