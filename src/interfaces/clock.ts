/**
 * Time, injected so that timeouts can be tested with a clock the test controls.
 *
 * @module
 */

/** Cancels a timer; calling it twice is harmless. */
export type Cancel = () => void;

/** Wall-clock time and timers. Timers never keep the process alive on their own. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Cancel;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): Cancel;
}
