/**
 * `npm start`: the whole gateway on this machine. Reads PORT (3000), HOST (127.0.0.1), DATA_DIR (./.data)
 * and ADMIN_API_KEY (generated on first start when unset), refuses to start on a bad value, and shuts
 * down cleanly on SIGINT or SIGTERM (a second signal exits at once).
 */
import * as z from 'zod';
import { startLocalRuntime } from '../lib/local/runtime.ts';
import { queueNames, type QueueName, type QueueSpec } from '../lib/topology.ts';

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

function everyQueue(override: Partial<QueueSpec>): Record<QueueName, Partial<QueueSpec>> {
  return Object.fromEntries(queueNames.map((name) => [name, override])) as Record<QueueName, Partial<QueueSpec>>;
}

const settings = readSettings();
const runtime = await startLocalRuntime({
  port: settings.PORT,
  host: settings.HOST,
  dataDir: settings.DATA_DIR,
  ...(settings.ADMIN_API_KEY === undefined ? {} : { adminApiKey: settings.ADMIN_API_KEY }),
  ...(settings.LOCAL_VISIBILITY_TIMEOUT_SECONDS === undefined
    ? {}
    : { queues: everyQueue({ visibilityTimeoutSeconds: settings.LOCAL_VISIBILITY_TIMEOUT_SECONDS }) }),
}).catch((error: unknown) => {
  // E.g. the port is taken, or a function fails its configuration check at load.
  console.error(`Cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});

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
