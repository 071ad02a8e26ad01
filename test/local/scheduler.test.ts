import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledEvent } from 'aws-lambda';
import { ManualClock } from '../../lib/local/clock.ts';
import { LocalLambdas } from '../../lib/local/lambda.ts';
import { startScheduler, type Scheduler } from '../../lib/local/scheduler.ts';
import { waitFor } from './helpers.ts';

let scheduler: Scheduler | undefined;

afterEach(async () => {
  await scheduler?.close();
  scheduler = undefined;
});

function schedule(handler: (event: ScheduledEvent) => Promise<unknown>, everySeconds: number, clock: ManualClock): Scheduler {
  const lambdas = new LocalLambdas({ outboxRelay: { spec: { timeoutSeconds: 10, memoryMb: 128 }, handler } }, 'local');
  scheduler = startScheduler({ schedules: [{ name: 'sweep', function: 'outboxRelay', everySeconds }], lambdas, region: 'local', clock });
  return scheduler;
}

/** Lets what a tick started run to its end: the handlers here finish without I/O, within one turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('local schedules', () => {
  it('invokes the function on its rate with a new Scheduled Event each time, stamped with the time of its tick', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1, 12, 0, 0));
    const events: ScheduledEvent[] = [];
    schedule(async (event) => {
      events.push(event);
    }, 60, clock);

    clock.advance(59_999);
    await nextTurn();
    const beforeTheFirstTick = events.length;
    for (let tick = 0; tick < 3; tick += 1) {
      clock.advance(tick === 0 ? 1 : 60_000);
      await nextTurn();
    }

    expect(beforeTheFirstTick).toBe(0);
    expect(events).toHaveLength(3);
    expect(new Set(events.map((event) => event.id)).size).toBe(3);
    expect(events[0]).toMatchObject({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000' });
    expect(events.map((event) => event.time)).toEqual(['2030-01-01T12:01:00Z', '2030-01-01T12:02:00Z', '2030-01-01T12:03:00Z']);
  });

  it('skips a tick while the previous run of the same schedule is still going', async () => {
    const clock = new ManualClock();
    let running = 0;
    let mostAtOnce = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    schedule(async () => {
      running += 1;
      runs += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await released;
      running -= 1;
    }, 60, clock);

    clock.advance(60_000);
    await waitFor(() => runs, (count) => count >= 1);
    for (let tick = 0; tick < 5; tick += 1) {
      clock.advance(60_000);
      await nextTurn();
    }
    const runsWhileBlocked = runs;
    release();

    expect(runsWhileBlocked).toBe(1);
    expect(mostAtOnce).toBe(1);
  });

  it('runs a schedule on demand and hands back what the function returned or threw', async () => {
    const started = schedule(async () => 'swept 3 items', 3600, new ManualClock());

    await expect(started.runNow('sweep')).resolves.toBe('swept 3 items');
    await expect(started.runNow('missing')).rejects.toThrow('No schedule named missing');
  });

  it('stops ticking once closed', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const started = schedule(async () => {
      runs += 1;
    }, 60, clock);

    await started.close();
    clock.advance(10 * 60_000);

    expect(runs).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
