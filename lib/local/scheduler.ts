/**
 * EventBridge schedules on one machine: each schedule invokes its function every `everySeconds` with the
 * `Scheduled Event` EventBridge sends for a rate rule; `runNow` invokes one at once (for tests and tools).
 *
 * Not emulated: EventBridge's retries of a failed invocation (a failure is logged and the next tick runs as
 * usual). A tick is skipped while the previous run of the same schedule is still going, so that a slow
 * machine does not pile runs up.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { FunctionName } from '../topology.ts';
import { LOCAL_ACCOUNT_ID } from './account.ts';
import { systemClock, type CancelTimer, type LocalClock } from './clock.ts';
import type { Invoker } from './lambda.ts';

export interface ScheduleSource {
  readonly name: string;
  readonly function: FunctionName;
  readonly everySeconds: number;
}

export interface SchedulerOptions {
  readonly schedules: readonly ScheduleSource[];
  readonly lambdas: Invoker;
  readonly region: string;
  /** What the ticks go by; the system clock unless given (a test advances one instead of waiting a minute). */
  readonly clock?: LocalClock;
}

export interface Scheduler {
  /** Invokes the schedule's function now and returns what it returned; throws what it threw. */
  runNow(name: string): Promise<unknown>;
  close(): Promise<void>;
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const running = new Map<string, Promise<unknown>>();
  const byName = new Map(options.schedules.map((schedule) => [schedule.name, schedule]));

  const run = (schedule: ScheduleSource): Promise<unknown> => {
    const event: ScheduledEvent<Record<string, never>> = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT_ID,
      // EventBridge writes the time without milliseconds.
      time: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: options.region,
      resources: [`arn:aws:events:${options.region}:${LOCAL_ACCOUNT_ID}:rule/${schedule.name}`],
      detail: {},
    };
    const invocation = options.lambdas.invoke(schedule.function, event);
    running.set(schedule.name, invocation);
    const forget = (): void => {
      if (running.get(schedule.name) === invocation) running.delete(schedule.name);
    };
    invocation.then(forget, forget);
    return invocation;
  };

  const timers = new Map<string, CancelTimer>();
  let closed = false;
  const arm = (schedule: ScheduleSource): void => {
    // The schedule alone does not keep the process alive.
    timers.set(schedule.name, clock.after(schedule.everySeconds * 1000, () => tick(schedule), { unref: true }));
  };
  const tick = (schedule: ScheduleSource): void => {
    if (closed) return;
    // The next tick is due a period after this one was, however long this run takes.
    arm(schedule);
    if (running.has(schedule.name)) return;
    run(schedule).catch((error: unknown) => {
      console.warn(`[schedule] ${schedule.name} (${schedule.function}) failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  for (const schedule of options.schedules) arm(schedule);

  return {
    runNow: (name) => {
      const schedule = byName.get(name);
      if (schedule === undefined) return Promise.reject(new Error(`No schedule named ${name}`));
      return run(schedule);
    },
    close: async () => {
      closed = true;
      for (const cancel of timers.values()) cancel();
      await Promise.allSettled([...running.values()]);
    },
  };
}
