/**
 * Local health, after Lifeguard (HashiCorp memberlist): a node whose own event loop stalled must
 * not blame its peers for the silence. The monitor measures how late its own timer fires; a
 * membership adds the recent lag to `dropTime` before it expires anyone, and checks only after
 * the I/O that queued up during the stall has been read.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Cancel, Clock } from "../interfaces/clock.ts";

export class LagMonitor {
  #clock: Clock;
  #period: number;
  #window: number;
  #expected = 0;
  #samples: { at: number; lag: number }[] = [];
  #cancel: Cancel | undefined;

  /** Samples every `period` ms and remembers lags seen in the last `window` ms. */
  constructor(clock: Clock, period: number, window: number) {
    this.#clock = clock;
    this.#period = period;
    this.#window = window;
  }

  start(): void {
    if (this.#cancel) return;
    this.#expected = this.#clock.now() + this.#period;
    this.#cancel = this.#clock.setInterval(() => this.#sample(), this.#period);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#samples = [];
  }

  /** The longest stall of this node in the window, ms (0 when healthy). */
  get recentLag(): number {
    this.#sample();
    const since = this.#clock.now() - this.#window;
    let worst = 0;
    for (const s of this.#samples) if (s.at >= since && s.lag > worst) worst = s.lag;
    return worst;
  }

  #sample(): void {
    const now = this.#clock.now();
    if (!this.#cancel || now < this.#expected) return;
    const lag = now - this.#expected;
    if (lag > 0) this.#samples.push({ at: now, lag });
    this.#expected = now + this.#period;
    const since = now - this.#window;
    while (this.#samples.length > 0 && this.#samples[0].at < since) this.#samples.shift();
  }
}

/** Runs `fn` after the I/O already queued has been read (a stall leaves heartbeats waiting). */
export function afterPendingIo(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}
