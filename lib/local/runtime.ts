/**
 * The whole gateway on one machine (`npm start`): the topology's functions, routes, queues and schedules on
 * embedded stand-ins for DynamoDB (dynalite), KMS and SQS, all on loopback and persisted under `dataDir`.
 *
 * The functions run unchanged: the runtime sets the environment the CDK stack gives them (names from
 * lib/topology.ts `env`) plus `AWS_ENDPOINT_URL_*` pointing at the stand-ins, and only then imports their
 * modules, so the SDK clients they build at module scope talk to the stand-ins.
 *
 * Unlike the cloud, all functions share one process and so one environment: the union of what each would
 * get. ESM caches the modules for the life of the process, so one process runs one runtime with the real
 * functions (a second start with other endpoints is refused; tests that restart use `overrides`).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { merchantResponse, type CreateMerchantBody } from '../../functions/contract/merchants.ts';
import {
  env,
  functionNames,
  functions,
  queueNames,
  queues,
  schedules,
  type FunctionName,
  type HttpMethod,
  type QueueName,
  type QueueSpec,
  type RouteAuth,
} from '../topology.ts';
import { routes } from '../routes.ts';
import { LOCAL_REGION } from './account.ts';
import type { LocalClock } from './clock.ts';
import { ensureTable, localCredentials, startDynamo } from './dynamo.ts';
import { startEventSources, type EventSources } from './event-source.ts';
import { startHttpServer } from './http-server.ts';
import { kmsOperations, startKmsEndpoint } from './kms-endpoint.ts';
import {
  LocalLambdas,
  type ExtraFunctionName,
  type FunctionStats,
  type LambdaHandler,
  type LocalFunction,
  type LocalFunctionName,
} from './lambda.ts';
import { RateLimiter, rateLimitFromEnv, type RateLimit } from './rate-limit.ts';
import { startScheduler } from './scheduler.ts';
import { startSqsEndpoint } from './sqs-endpoint.ts';
import type { QueueDepth } from './sqs-store.ts';

export const TABLE_NAME = 'gateway';

/** Mirrors `deadLetterRetention` of lib/constructs/work-queue.ts: 14 days, SQS's longest. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

const DEMO_MERCHANT: CreateMerchantBody = { name: 'Demo merchant', email: 'demo@example.com', default_currency: 'USD' };

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** The admin key; generated on first start and kept in `<dataDir>/local.json` when not given. */
  readonly adminApiKey?: string;
  /** Handlers to use instead of the functions' modules, e.g. stubs in tests. */
  readonly overrides?: Partial<Record<FunctionName, LambdaHandler>>;
  /** Queue settings to use instead of the topology's, e.g. short visibility timeouts in tests. */
  readonly queues?: Partial<Record<QueueName, Partial<QueueSpec>>>;
  /** Create (or reuse) the demo merchant; on by default. */
  readonly demoMerchant?: boolean;
  readonly pollIntervalMs?: number;
  readonly waitTimeSeconds?: number;
  readonly pollersPerQueue?: number;
  /**
   * Routes served besides the topology's, each by its own handler through the same HTTP server and invoke
   * path; for harnesses only (the bench's one-PutItem floor). They are never deployed: the CDK stack reads
   * the topology alone.
   */
  readonly extraRoutes?: readonly ExtraRoute[];
  /**
   * Per merchant key token bucket, standing in for the cloud's per-key throttling; from `RATE_LIMIT_RPS`
   * and `RATE_LIMIT_BURST` (generous defaults) when not given.
   */
  readonly rateLimit?: RateLimit;
  /**
   * What the SQS stand-in (visibility timeouts, delays, long polls), the batching windows and the schedules
   * go by; the system clock unless given. Only with every function in `overrides`: the real functions read
   * the system clock, and a queue running ahead of them would hand a worker an attempt before it thinks it due.
   */
  readonly clock?: LocalClock;
}

export interface ExtraRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly auth: RouteAuth;
  readonly function: ExtraFunctionName;
  readonly handler: LambdaHandler;
}

/** What an extra route's function runs with: the topology's API function defaults. */
const EXTRA_FUNCTION_SPEC = { memoryMb: 512, timeoutSeconds: 10 } as const;

export interface DemoMerchant {
  readonly merchantId: string;
  readonly apiKey: string;
}

export interface RuntimeStats {
  readonly httpRequests: number;
  readonly sqsRequests: number;
  readonly kmsRequests: number;
  /** Requests to each stand-in by operation (`PutItem`, `SendMessage`, `GenerateDataKey`, ...). */
  readonly requestsByOperation: {
    readonly dynamodb: Record<string, number>;
    readonly sqs: Record<string, number>;
    readonly kms: Record<string, number>;
  };
  /** Every topology queue and its dead-letter queue (`<name>-dlq`). */
  readonly queues: Record<string, QueueDepth>;
  readonly functions: Partial<Record<LocalFunctionName, FunctionStats>>;
}

export interface LocalRuntime {
  readonly url: string;
  readonly adminApiKey: string;
  readonly demoMerchant: DemoMerchant | undefined;
  /** Where the stand-ins listen, for tools that talk to them directly. */
  readonly endpoints: { readonly dynamodb: string; readonly kms: string; readonly sqs: string };
  stats(): RuntimeStats;
  /** Runs a schedule's function now (see `schedules` in the topology). */
  runSchedule(name: keyof typeof schedules): Promise<unknown>;
  /**
   * Stops polling the queues (messages wait in them) until `resumeQueueConsumers`; the bench uses it to
   * measure the API alone, as in the cloud, where the workers do not share the API's CPU.
   */
  pauseQueueConsumers(): Promise<void>;
  resumeQueueConsumers(): Promise<void>;
  close(): Promise<void>;
}

const localStateSchema = z.object({
  adminApiKey: z.string().min(1).optional(),
  demoMerchant: z.object({ merchantId: z.string(), apiKey: z.string() }).optional(),
});
type LocalState = z.infer<typeof localStateSchema>;

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The endpoints the function modules of this process were imported with (see the header). */
let modulesImportedWith: string | undefined;

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  if (options.clock !== undefined && functionNames.some((name) => options.overrides?.[name] === undefined)) {
    throw new Error('A clock of its own needs every function in `overrides`: the real functions go by the system clock.');
  }
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const statePath = join(dataDir, 'local.json');
  const state = readLocalState(statePath);
  if (options.adminApiKey === undefined && state.adminApiKey === undefined) {
    state.adminApiKey = `adm_${randomBytes(32).toString('base64url')}`;
    writeLocalState(statePath, state);
  }
  const adminApiKey = options.adminApiKey ?? state.adminApiKey ?? '';

  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.warn(`[runtime] shutting down: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    const dynamo = await startDynamo({ dataDir: join(dataDir, 'dynamodb') });
    cleanups.push(() => dynamo.close());
    await ensureTable(dynamo.endpoint, TABLE_NAME);
    const kms = await startKmsEndpoint({ dataDir: join(dataDir, 'kms') });
    cleanups.push(() => kms.close());
    const sqs = await startSqsEndpoint({
      dataDir: join(dataDir, 'sqs'),
      region: LOCAL_REGION,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    cleanups.push(() => sqs.close());

    const queueSpecs = Object.fromEntries(queueNames.map((name) => [name, { ...queues[name], ...options.queues?.[name] }])) as Record<
      QueueName,
      QueueSpec
    >;
    await provisionQueues(sqs.url, queueSpecs, (name) => sqs.queueArn(name));

    const environment: Record<string, string> = {
      [env.tableName]: TABLE_NAME,
      [env.cardKeyId]: kms.keyId,
      [env.adminApiKey]: adminApiKey,
      ...Object.fromEntries(queueNames.map((name) => [env.queueUrl(name), sqs.queueUrl(name)])),
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.url,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      // On this machine webhook receivers are on loopback; the cloud stack sets `public-https`.
      [env.webhookUrlPolicy]: process.env[env.webhookUrlPolicy] ?? 'allow-loopback',
    };
    cleanups.push(applyEnvironment(environment));

    const extraRoutes = options.extraRoutes ?? [];
    const extraFunctions = Object.fromEntries(
      extraRoutes.map((route): [ExtraFunctionName, LocalFunction] => [route.function, { spec: EXTRA_FUNCTION_SPEC, handler: route.handler }]),
    );
    const lambdas = new LocalLambdas(
      { ...(await loadFunctions(options.overrides ?? {}, environment)), ...extraFunctions },
      LOCAL_REGION,
    );

    const http = await startHttpServer({
      routes: [...routes, ...extraRoutes.map(({ method, path, auth, function: name }) => ({ method, path, auth, function: name }))],
      lambdas,
      authorizer: 'authorizer',
      rateLimiter: new RateLimiter(options.rateLimit ?? rateLimitFromEnv()),
      region: LOCAL_REGION,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
    });
    cleanups.push(() => http.close());
    const startQueueConsumers = () =>
      startEventSources({
        sqsEndpoint: sqs.url,
        region: LOCAL_REGION,
        lambdas,
        sources: queueNames.map((name) => ({ queueName: name, ...queueSpecs[name] })),
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        ...(options.waitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.waitTimeSeconds }),
        ...(options.pollersPerQueue === undefined ? {} : { pollersPerQueue: options.pollersPerQueue }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
    let eventSources: EventSources | undefined = await startQueueConsumers();
    cleanups.push(() => eventSources?.close());
    const scheduler = startScheduler({
      schedules: Object.entries(schedules).map(([name, schedule]) => ({ name, ...schedule })),
      lambdas,
      region: LOCAL_REGION,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    cleanups.push(() => scheduler.close());

    if (options.demoMerchant !== false && state.demoMerchant === undefined) {
      const created = await createDemoMerchant(http.url, adminApiKey);
      if (created !== undefined) {
        state.demoMerchant = created;
        writeLocalState(statePath, state);
      }
    }

    const queueNamesWithDeadLetters = queueNames.flatMap((name) => [name, `${name}-dlq`]);
    return {
      url: http.url,
      adminApiKey,
      demoMerchant: options.demoMerchant === false ? undefined : state.demoMerchant,
      endpoints: { dynamodb: dynamo.endpoint, kms: kms.url, sqs: sqs.url },
      stats: () => ({
        httpRequests: http.requestCount(),
        sqsRequests: sqs.requestCount(),
        kmsRequests: kms.requestCount(),
        requestsByOperation: {
          dynamodb: dynamo.requestCounts(),
          sqs: sqs.requestCounts(),
          kms: Object.fromEntries(kmsOperations.map((operation) => [operation, kms.requestCount(operation)])),
        },
        queues: Object.fromEntries(queueNamesWithDeadLetters.map((name) => [name, sqs.depth(name)])),
        functions: lambdas.stats(),
      }),
      runSchedule: (name) => scheduler.runNow(name),
      pauseQueueConsumers: async () => {
        const running = eventSources;
        eventSources = undefined;
        await running?.close();
      },
      resumeQueueConsumers: async () => {
        eventSources ??= await startQueueConsumers();
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function readLocalState(path: string): LocalState {
  if (!existsSync(path)) return {};
  chmodSync(path, 0o600);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON; fix or delete it`, { cause: error });
  }
  const parsed = localStateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path} does not hold the local runtime's state; fix or delete it`);
  return parsed.data;
}

/** Atomically, and readable by the owner only: it holds the admin key and the demo merchant's secret key. */
function writeLocalState(path: string, state: LocalState): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Sets the variables and returns how to put back what was there before. */
function applyEnvironment(environment: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Each topology queue with its dead-letter queue and redrive policy, as the CDK stack creates them. */
async function provisionQueues(endpoint: string, specs: Record<QueueName, QueueSpec>, arnOf: (name: string) => string): Promise<void> {
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: localCredentials });
  const ensureQueue = async (name: string, attributes: Record<string, string>): Promise<void> => {
    try {
      await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    } catch (error) {
      // The queue exists from an earlier start with other settings: the topology's settings win.
      if (!(error instanceof QueueNameExists)) throw error;
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    }
  };
  try {
    for (const name of queueNames) {
      const spec = specs[name];
      const deadLetterQueue = `${name}-dlq`;
      await ensureQueue(deadLetterQueue, { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) });
      await ensureQueue(name, {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(deadLetterQueue), maxReceiveCount: spec.maxReceiveCount }),
      });
    }
  } finally {
    client.destroy();
  }
}

async function loadFunctions(
  overrides: Partial<Record<FunctionName, LambdaHandler>>,
  environment: Record<string, string>,
): Promise<Record<FunctionName, LocalFunction>> {
  const toImport = functionNames.filter((name) => overrides[name] === undefined);
  if (toImport.length > 0) {
    const endpoints = JSON.stringify([
      environment.AWS_ENDPOINT_URL_DYNAMODB,
      environment.AWS_ENDPOINT_URL_KMS,
      environment.AWS_ENDPOINT_URL_SQS,
    ]);
    if (modulesImportedWith !== undefined && modulesImportedWith !== endpoints) {
      throw new Error(
        'This process already ran the local runtime with the real functions; their modules keep the first ' +
          "run's endpoints. Start a new process (or pass `overrides`).",
      );
    }
    modulesImportedWith = endpoints;
  }
  const loaded = await Promise.all(
    functionNames.map(async (name): Promise<[FunctionName, LocalFunction]> => {
      const spec = functions[name];
      const handler = overrides[name] ?? (await importHandler(spec.entry));
      return [name, { spec, handler }];
    }),
  );
  return Object.fromEntries(loaded) as Record<FunctionName, LocalFunction>;
}

async function importHandler(entry: string): Promise<LambdaHandler> {
  const module: unknown = await import(pathToFileURL(join(repositoryRoot, entry)).href);
  const handler = typeof module === 'object' && module !== null ? (module as { handler?: unknown }).handler : undefined;
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a \`handler\` function`);
  return handler as LambdaHandler;
}

/** Creates the demo merchant through the API itself, as an operator would. */
async function createDemoMerchant(url: string, adminApiKey: string): Promise<DemoMerchant | undefined> {
  try {
    const response = await fetch(`${url}/merchants`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${adminApiKey}`,
        'Content-Type': 'application/json',
        // A start that dies before saving the answer gets the same merchant back on the next start.
        'Idempotency-Key': 'local-runtime-demo-merchant',
      },
      body: JSON.stringify(DEMO_MERCHANT),
    });
    const text = await response.text();
    if (response.status !== 201) {
      console.warn(`[runtime] no demo merchant: POST /merchants answered ${response.status} ${text.slice(0, 300)}`);
      return undefined;
    }
    const parsed = merchantResponse.safeParse(JSON.parse(text));
    if (!parsed.success) {
      console.warn('[runtime] no demo merchant: POST /merchants answered 201 with an unexpected body');
      return undefined;
    }
    return { merchantId: parsed.data.merchant_id, apiKey: parsed.data.api_key.secret };
  } catch (error) {
    console.warn(`[runtime] no demo merchant: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
