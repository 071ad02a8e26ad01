/**
 * `npm start`: the whole gateway on this machine. Reads PORT (3000), HOST (127.0.0.1), DATA_DIR (./.data),
 * ADMIN_API_KEY (generated on first start when unset) and the other settings of the README's table, refuses to start on a bad value, and shuts
 * down cleanly on SIGINT or SIGTERM (a second signal exits at once).
 *
 * Started with an IPC channel (as test/support/gateway-process.ts starts it), it also runs a schedule when
 * its parent asks, `{ id, runSchedule: 'outboxSweep' }`, and answers `{ id, result }` or `{ id, error }`: a
 * crash test triggers the every-minute outbox sweep instead of waiting for it. Started from a shell, it has
 * no such channel and nothing listens.
 */
import * as z from 'zod';
import type { LocalRuntime } from '../lib/local/runtime.ts';
import type { QueueName, QueueSpec, schedules } from '../lib/topology.ts';

type ScheduleName = keyof typeof schedules;

const settingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.data'),
  ADMIN_API_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  // Local only: shortens every queue's visibility timeout, so redelivery after a crash takes seconds
  // instead of the cloud's minutes (the crash tests and demos use it).
  LOCAL_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(43_200).optional(),
  // Local only: replaces every queue's batching window (the topology's 1 to 5 s, Lambda's most is 300), so
  // that the crash tests' messages reach their consumer at once; 0 turns the windows off.
  LOCAL_BATCHING_WINDOW_SECONDS: z.coerce.number().int().min(0).max(300).optional(),
});

function readSettings(): z.infer<typeof settingsSchema> {
  // An empty variable means "not set", as a shell's `PORT= npm start` intends.
  const source = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ''));
  const parsed = settingsSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    console.error(`Cannot start: ${problems.join('; ')}`);
    process.exit(2);
  }
  return parsed.data;
}

/** What the LOCAL_* settings change in every queue; nothing when none is set. */
function queueOverrides(
  settings: z.infer<typeof settingsSchema>,
  queueNames: readonly QueueName[],
): { queues?: Record<QueueName, Partial<QueueSpec>> } {
  const override: Partial<QueueSpec> = {
    ...(settings.LOCAL_VISIBILITY_TIMEOUT_SECONDS === undefined ? {} : { visibilityTimeoutSeconds: settings.LOCAL_VISIBILITY_TIMEOUT_SECONDS }),
    ...(settings.LOCAL_BATCHING_WINDOW_SECONDS === undefined ? {} : { maxBatchingWindowSeconds: settings.LOCAL_BATCHING_WINDOW_SECONDS }),
  };
  if (Object.keys(override).length === 0) return {};
  return { queues: Object.fromEntries(queueNames.map((name) => [name, override])) as Record<QueueName, Partial<QueueSpec>> };
}

/** Answers the parent's requests to run a schedule (see the header); only when started with an IPC channel. */
function answerScheduleRequests(running: LocalRuntime, scheduleNames: readonly ScheduleName[]): void {
  const send = process.send?.bind(process);
  if (send === undefined) return;
  const scheduleRequest = z.object({ id: z.number().int(), runSchedule: z.enum(scheduleNames as [ScheduleName, ...ScheduleName[]]) });
  // The channel alone does not keep the gateway up: a signal still stops it as usual.
  process.channel?.unref();
  process.on('message', (message: unknown) => {
    const request = scheduleRequest.safeParse(message);
    if (!request.success) {
      const id = typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
      send({ id, error: `not a schedule request: ${request.error.issues.map((issue) => issue.message).join('; ')}` });
      return;
    }
    const { id, runSchedule } = request.data;
    running.runSchedule(runSchedule).then(
      (result) => send({ id, result }),
      (error: unknown) => send({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

const settings = readSettings();
// Loaded once the settings are good: the functions take seconds to load, and a refusal should not wait for them.
const { startLocalRuntime } = await import('../lib/local/runtime.ts');
const { queueNames, schedules: scheduleSpecs } = await import('../lib/topology.ts');
const runtime = await startLocalRuntime({
  port: settings.PORT,
  host: settings.HOST,
  dataDir: settings.DATA_DIR,
  ...(settings.ADMIN_API_KEY === undefined ? {} : { adminApiKey: settings.ADMIN_API_KEY }),
  ...queueOverrides(settings, queueNames),
}).catch((error: unknown) => {
  // E.g. the port is taken, or a function fails its configuration check at load.
  console.error(`Cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});

answerScheduleRequests(runtime, Object.keys(scheduleSpecs) as ScheduleName[]);
console.log(`Payment gateway listening on ${runtime.url}`);
console.log(`  data:            ${settings.DATA_DIR}`);
console.log(`  admin key:       ${runtime.adminApiKey}${settings.ADMIN_API_KEY === undefined ? '' : ' (from ADMIN_API_KEY)'}`);
if (runtime.demoMerchant === undefined) {
  console.log('  demo merchant:   none (see the warning above)');
} else {
  console.log(`  demo merchant:   ${runtime.demoMerchant.merchantId}`);
  console.log(`  demo secret key: ${runtime.demoMerchant.apiKey}`);
  const checkout = await openDemoSession(runtime.demoMerchant.apiKey, '/checkout_sessions', {
    amount: 1050,
    currency: 'USD',
    description: 'Demo checkout: pay with 4242 4242 4242 4242',
  });
  const console_ = await openDemoSession(runtime.demoMerchant.apiKey, '/console_sessions', {});
  console.log(`  demo checkout:   ${checkout ?? 'not available (see the warning above)'}`);
  console.log(`  demo console:    ${console_ ?? 'not available (see the warning above)'}`);
}
console.log('Press Ctrl+C to stop.');

/** A hosted-page link for the demo merchant, made through the API as a merchant's server would; 30 minutes. */
async function openDemoSession(apiKey: string, path: string, body: Record<string, unknown>): Promise<string | undefined> {
  try {
    const response = await fetch(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const session = (await response.json()) as { url?: unknown };
    if (response.ok && typeof session.url === 'string') return session.url;
    console.warn(`[runtime] POST ${path} answered ${response.status}`);
  } catch (error) {
    console.warn(`[runtime] POST ${path} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return undefined;
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    console.error(`${signal} again: exiting now.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: shutting down...`);
  runtime.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
