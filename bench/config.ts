/**
 * The bench's knobs, from the environment, so a quick run and a careful one use the same code:
 * `BENCH_DURATION_SECONDS=2 BENCH_PAYMENTS=50 npm run bench`.
 */
import * as z from 'zod';

const phases = ['http', 'lifecycle', 'bundles'] as const;
export type Phase = (typeof phases)[number];

const settingsSchema = z.object({
  /** Length of each measured load run. */
  BENCH_DURATION_SECONDS: z.coerce.number().int().min(1).max(120).default(5),
  /** Unmeasured load before each route's runs, so the JIT and the connection pools are warm. */
  BENCH_WARMUP_SECONDS: z.coerce.number().int().min(0).max(60).default(2),
  BENCH_CONNECTIONS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be a comma-separated list of connection counts')
    .default('1,10,50')
    .transform((text) => text.split(',').map(Number)),
  /** Payments taken through the whole lifecycle for the per-payment counts. */
  BENCH_PAYMENTS: z.coerce.number().int().min(1).max(100_000).default(200),
  /**
   * How many of those are created at once. Low by default: every function shares this process, so an
   * invocation's measured duration (which the cost estimate bills) grows with what runs beside it.
   */
  BENCH_LIFECYCLE_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(2),
  /**
   * Steady-state KMS estimate (bench/kms-model.ts): warm containers per function, and the payment rate they
   * share. Each sealing container makes its own data key per merchant and day; each opening container unwraps
   * every one of those it meets. Assumptions, not measurements: the run is too short to see them.
   */
  BENCH_CONTAINERS: z.coerce.number().int().min(1).max(1000).default(10),
  BENCH_RATE: z.coerce.number().positive().max(100_000).default(10),
  /** Fresh node processes per function for the cold init median. */
  BENCH_COLD_RUNS: z.coerce.number().int().min(1).max(50).default(5),
  /** How long to wait for the queues (and webhooks) to drain before giving up on a phase. */
  BENCH_DRAIN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(180),
  /** Phases to leave out, e.g. `bundles` while working on the HTTP path. */
  BENCH_SKIP: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''))
    .pipe(z.array(z.enum(phases))),
});

export interface BenchConfig {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: readonly number[];
  readonly payments: number;
  readonly lifecycleConcurrency: number;
  readonly kmsAssumptions: { readonly containersPerFunction: number; readonly paymentsPerSecond: number };
  readonly coldRuns: number;
  readonly drainTimeoutSeconds: number;
  readonly skip: readonly Phase[];
}

export function readConfig(environment: NodeJS.ProcessEnv): BenchConfig {
  // An empty variable means "not set".
  const source = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = settingsSchema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`Bad bench settings: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const settings = parsed.data;
  return {
    durationSeconds: settings.BENCH_DURATION_SECONDS,
    warmupSeconds: settings.BENCH_WARMUP_SECONDS,
    connections: settings.BENCH_CONNECTIONS,
    payments: settings.BENCH_PAYMENTS,
    lifecycleConcurrency: settings.BENCH_LIFECYCLE_CONCURRENCY,
    kmsAssumptions: { containersPerFunction: settings.BENCH_CONTAINERS, paymentsPerSecond: settings.BENCH_RATE },
    coldRuns: settings.BENCH_COLD_RUNS,
    drainTimeoutSeconds: settings.BENCH_DRAIN_TIMEOUT_SECONDS,
    skip: settings.BENCH_SKIP,
  };
}
