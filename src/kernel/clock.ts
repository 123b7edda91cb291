/**
 * The system clock.
 *
 * @module
 */
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import type { Clock } from "../interfaces/clock.ts";

/** Real time. Timers are unref'd: sockets, not timers, keep a node alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  setInterval(fn, ms) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
