import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledEvent } from 'aws-lambda';
import { LocalLambdas } from '../../lib/local/lambda.ts';
import { startScheduler, type Scheduler } from '../../lib/local/scheduler.ts';
import { waitFor } from './helpers.ts';

let scheduler: Scheduler | undefined;

afterEach(async () => {
  await scheduler?.close();
  scheduler = undefined;
});

function schedule(handler: (event: ScheduledEvent) => Promise<unknown>, everySeconds: number): Scheduler {
  const lambdas = new LocalLambdas({ outboxRelay: { spec: { timeoutSeconds: 10, memoryMb: 128 }, handler } }, 'local');
  scheduler = startScheduler({ schedules: [{ name: 'sweep', function: 'outboxRelay', everySeconds }], lambdas, region: 'local' });
  return scheduler;
}

describe('local schedules', () => {
  it('invokes the function on its rate with a new Scheduled Event each time', async () => {
    const events: ScheduledEvent[] = [];
    schedule(async (event) => {
      events.push(event);
    }, 0.05);

    await waitFor(() => events.length, (count) => count >= 3);

    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect(events[0]).toMatchObject({ version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000' });
    expect(events[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('skips a tick while the previous run of the same schedule is still going', async () => {
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
    }, 0.02);

    await waitFor(() => runs, (count) => count >= 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const runsWhileBlocked = runs;
    release();

    expect(runsWhileBlocked).toBe(1);
    expect(mostAtOnce).toBe(1);
  });

  it('runs a schedule on demand and hands back what the function returned or threw', async () => {
    const started = schedule(async () => 'swept 3 items', 3600);

    await expect(started.runNow('sweep')).resolves.toBe('swept 3 items');
    await expect(started.runNow('missing')).rejects.toThrow('No schedule named missing');
  });
});
