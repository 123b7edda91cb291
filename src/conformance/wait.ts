/**
 * Waiting on events with a controllable clock: no sleeps.
 *
 * @module
 */
import type { ManualClock } from "../kernel/manual_clock.ts";

/**
 * Advances `clock` by `step` ms at a time until `predicate` holds; fails after `maxSteps`.
 * Each step also lets promise callbacks and I/O run.
 */
export async function waitFor(
  clock: ManualClock,
  predicate: () => boolean,
  what: string,
  { step = 100, maxSteps = 200 } = {},
): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (predicate()) return;
    await clock.advance(step);
  }
  if (!predicate()) throw new Error(`Timed out (on the test clock) waiting for ${what}`);
}

/** A promise with its resolve function, for events a test waits on. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}
