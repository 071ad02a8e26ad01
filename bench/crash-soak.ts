/**
 * `npm run crash-soak`: the crash-in-a-stream scenario of test/e2e/crash-stream.test.ts, many times and
 * larger (issue 13, item 9). Each run starts `npm start`'s entry point on a fresh DATA_DIR, streams payments
 * with unique Idempotency-Keys, SIGKILLs the process at a random moment, restarts it on the same DATA_DIR
 * and port, retries what lost its answer, and audits: payments lost, charged twice, webhooks missing or
 * unverified. Runs alternate a short visibility timeout and the 45 s of the issue's report.
 *
 * Prints a row per run as it ends, the details of any loss, and exits 1 on any loss. Only loopback addresses.
 *
 *   CRASH_SOAK_RUNS              runs (20)
 *   CRASH_SOAK_PAYMENTS          payments per run (300)
 *   CRASH_SOAK_RATE              payments per second (20)
 *   CRASH_SOAK_SHORT_VISIBILITY  LOCAL_VISIBILITY_TIMEOUT_SECONDS of odd runs (2)
 *   CRASH_SOAK_LONG_VISIBILITY   LOCAL_VISIBILITY_TIMEOUT_SECONDS of even runs (45)
 *   CRASH_SOAK_SEED              the first run's seed (card mix, kill moment); the next runs add 1 (random)
 *   CRASH_SOAK_KEEP_DATA         1: keep every run's DATA_DIR (a run with a loss always keeps its own)
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { runCrashStream, type CrashStreamReport } from '../test/support/crash-stream.ts';
import { killGatewayProcesses } from '../test/support/gateway-process.ts';
import { toText, type Table } from './report.ts';

const settingsSchema = z.object({
  CRASH_SOAK_RUNS: z.coerce.number().int().min(1).max(1000).default(20),
  CRASH_SOAK_PAYMENTS: z.coerce.number().int().min(2).max(10_000).default(300),
  CRASH_SOAK_RATE: z.coerce.number().positive().max(500).default(20),
  CRASH_SOAK_SHORT_VISIBILITY: z.coerce.number().int().min(1).max(43_200).default(2),
  CRASH_SOAK_LONG_VISIBILITY: z.coerce.number().int().min(1).max(43_200).default(45),
  CRASH_SOAK_SEED: z.coerce.number().int().min(0).max(4_294_967_295).optional(),
  CRASH_SOAK_KEEP_DATA: z.enum(['0', '1']).default('0'),
});

const parsed = settingsSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));
if (!parsed.success) {
  console.error(`crash-soak: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  process.exit(2);
}
const settings = parsed.data;
const firstSeed = settings.CRASH_SOAK_SEED ?? randomBytes(4).readUInt32BE(0);

const headers = [
  'run',
  'visibility',
  'seed',
  'payments',
  'lost',
  'doubled',
  'webhooks missing',
  'unverified',
  'in flight at kill',
  'retried',
  'dup deliveries',
  'unsettled',
  'dead letters',
  'time',
];

function row(run: number, visibility: number, seed: number, report: CrashStreamReport | undefined, ms: number): string[] {
  if (report === undefined) {
    return [String(run), `${visibility} s`, String(seed), String(settings.CRASH_SOAK_PAYMENTS), 'ERROR', '', '', '', '', '', '', '', '', seconds(ms)];
  }
  const deadLetters = Object.entries(report.deadLetters)
    .filter(([, count]) => count > 0)
    .map(([queue, count]) => `${queue.replace(/-dlq$/, '')}:${count}`);
  return [
    String(run),
    `${visibility} s`,
    String(report.seed),
    String(report.payments),
    String(report.lost.length),
    String(report.doubled.length),
    String(report.webhooksMissing.length),
    String(report.unverified),
    String(report.inFlightAtKill),
    String(report.retried),
    String(report.duplicateDeliveries),
    String(report.unsettled),
    deadLetters.length === 0 ? '0' : deadLetters.join(' '),
    seconds(ms),
  ];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

const rows: string[][] = [];
const failures: string[] = [];
const soakStart = Date.now();
console.log(
  `crash-soak: ${settings.CRASH_SOAK_RUNS} runs × ${settings.CRASH_SOAK_PAYMENTS} payments at ${settings.CRASH_SOAK_RATE}/s, ` +
    `visibility ${settings.CRASH_SOAK_SHORT_VISIBILITY} s / ${settings.CRASH_SOAK_LONG_VISIBILITY} s alternating, first seed ${firstSeed}`,
);
console.log(headers.join(' | '));
for (let run = 1; run <= settings.CRASH_SOAK_RUNS; run += 1) {
  const visibility = run % 2 === 1 ? settings.CRASH_SOAK_SHORT_VISIBILITY : settings.CRASH_SOAK_LONG_VISIBILITY;
  const seed = (firstSeed + run - 1) >>> 0;
  const started = Date.now();
  let report: CrashStreamReport | undefined;
  let error: unknown;
  try {
    report = await runCrashStream({
      payments: settings.CRASH_SOAK_PAYMENTS,
      ratePerSecond: settings.CRASH_SOAK_RATE,
      visibilityTimeoutSeconds: visibility,
      seed,
      keepDataDir: settings.CRASH_SOAK_KEEP_DATA === '1',
      log: (line) => console.log(`  [run ${run}] ${line}`),
    });
  } catch (caught) {
    error = caught;
  } finally {
    killGatewayProcesses();
  }
  const cells = row(run, visibility, seed, report, Date.now() - started);
  rows.push(cells);
  console.log(cells.join(' | '));
  if (report === undefined) {
    failures.push(`run ${run} (seed ${seed}, visibility ${visibility} s) did not finish: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } else if (!report.ok) {
    failures.push(
      [
        `run ${run} (seed ${report.seed}, visibility ${visibility} s, killed at ${report.timings.killAtMs} ms with ${report.inFlightAtKill} in flight; DATA_DIR kept: ${report.dataDir})`,
        ...report.lost.map((lost) => `  lost: ${JSON.stringify(lost)}`),
        ...report.doubled.map((doubled) => `  doubled: ${doubled}`),
        ...report.unexpectedAnswers.map((answer) => `  unexpected: ${answer}`),
        ...(report.unverified > 0 ? [`  unverified deliveries: ${report.unverified}`] : []),
        ...report.webhooksMissing.map(
          (missing) =>
            `  webhook missing: ${missing.type} of ${missing.transactionId} (key ${missing.idempotencyKey}), event ${missing.eventId ?? 'not listed by GET /events'}` +
            (missing.event === undefined ? '' : `\n    GET /events/${missing.eventId ?? ''}: ${JSON.stringify(missing.event)}`),
        ),
      ].join('\n'),
    );
  }
}

const totals = rows.reduce(
  (sum, cells) => ({
    lost: sum.lost + Number(cells[4] === 'ERROR' ? 0 : cells[4]),
    doubled: sum.doubled + Number(cells[5] || 0),
    missing: sum.missing + Number(cells[6] || 0),
    unverified: sum.unverified + Number(cells[7] || 0),
  }),
  { lost: 0, doubled: 0, missing: 0, unverified: 0 },
);
const table: Table = {
  title: `crash-soak: ${rows.length} runs in ${seconds(Date.now() - soakStart)}`,
  headers,
  rows,
  notes: [
    `${totals.lost} payments lost, ${totals.doubled} doubled, ${totals.missing} webhooks missing, ${totals.unverified} unverified, ${failures.length} runs with a problem`,
    'lost: no transaction, or not captured/settled/declined; doubled: more than one transaction for a key, or one listed twice',
    'webhooks missing: an expected event (pending, then declined or authorized/captured/settled) or a listed one never received with a valid signature',
    'unsettled: captured (final) but not yet settled at the audit; dead letters: messages left in each DLQ after the run',
  ],
};
console.log(`\n${toText([table])}`);
if (failures.length > 0) {
  console.log(`Problems:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
