/**
 * The time the local stand-ins go by: SQS visibility timeouts, delays, retention and long polls, the event
 * sources' batching windows, and the schedules' ticks. `npm start` runs on `systemClock`; a test hands a `ManualClock` to the stand-in it checks
 * and advances it, so that a 60-second schedule or a 4-second visibility timeout takes no time at all.
 *
 * The functions keep their own clocks (their wiring modules), so a runtime that runs the real functions runs
 * on the system clock: were the queues' time to jump ahead of the functions', a webhook attempt would arrive
 * before the worker thinks it due.
 */

/** Cancels a callback that `after` scheduled; nothing happens if it ran already. */
export type CancelTimer = () => void;

export interface LocalClock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /**
   * Calls `callback` once `ms` have passed on this clock. With `unref`, the wait alone does not keep the
   * process alive (a schedule's, say); without it, it does, as a pending long poll should.
   */
  after(ms: number, callback: () => void, options?: { readonly unref?: boolean }): CancelTimer;
}

export const systemClock: LocalClock = {
  now: () => Date.now(),
  after: (ms, callback, options) => {
    const timer = setTimeout(callback, Math.max(0, ms));
    if (options?.unref === true) timer.unref();
    return () => clearTimeout(timer);
  },
};

interface PendingTimer {
  readonly at: number;
  /** Ties at one instant run in the order they were scheduled. */
  readonly order: number;
  readonly callback: () => void;
}

/** A clock that stands still until `advance` moves it; for tests. */
export class ManualClock implements LocalClock {
  private current: number;
  private scheduled = 0;
  private readonly pending = new Set<PendingTimer>();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, callback: () => void): CancelTimer {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), order: (this.scheduled += 1), callback };
    this.pending.add(timer);
    // A wait of nothing is still a wait: it runs on the next turn, as setTimeout(callback, 0) would.
    if (ms <= 0) setImmediate(() => this.fire(timer));
    return () => {
      this.pending.delete(timer);
    };
  }

  /**
   * Moves the clock `ms` forward, running each callback that falls due on the way at its own instant and in
   * order (a callback that schedules another within the span sees it run too, as an interval would).
   */
  advance(ms: number): void {
    if (ms < 0) throw new Error('A clock does not go back');
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.current = Math.max(this.current, next.at);
      this.fire(next);
    }
    this.current = target;
  }

  /** How many callbacks wait for the clock; lets a test check that something is waiting before it advances. */
  pendingTimers(): number {
    return this.pending.size;
  }

  private nextDue(target: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.pending) {
      if (timer.at > target) continue;
      if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
    }
    return next;
  }

  private fire(timer: PendingTimer): void {
    if (!this.pending.delete(timer)) return;
    timer.callback();
  }
}
