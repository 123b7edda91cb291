/**
 * A clock that moves only when a test says so.
 *
 * @module
 */
import type { Cancel, Clock } from "../interfaces/clock.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every: number | undefined;
}

/**
 * A controllable clock: `advance(ms)` runs due timers in time order, so timeouts are tested
 * without sleeping.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * let fired = false;
 * clock.setTimeout(() => fired = true, 3000);
 * await clock.advance(3000); // fired === true
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Map<number, Timer>();
  #nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    return this.#add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): Cancel {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, running each timer when its time comes. Between timers it lets
   * promise callbacks and I/O run, so work a timer starts can finish before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#nextDue(end);
      if (!due) break;
      // An overdue timer (after `stall`) runs late, at the current time, as a real one would.
      this.#now = Math.max(this.#now, due.at);
      if (due.every === undefined) this.#timers.delete(due.id);
      else due.at = this.#now + due.every;
      due.fn();
    }
    this.#now = end;
    await settle();
  }

  /**
   * Moves time forward by `ms` without running any timer, as a blocked event loop would; the
   * next `advance` then runs every overdue timer, late.
   */
  stall(ms: number): void {
    this.#now += ms;
  }

  #add(fn: () => void, ms: number, every: number | undefined): Cancel {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn, every });
    return () => this.#timers.delete(id);
  }

  #nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (
        timer.at <= end &&
        (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id))
      ) {
        best = timer;
      }
    }
    return best;
  }
}

/** Lets pending promise callbacks and immediate callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
