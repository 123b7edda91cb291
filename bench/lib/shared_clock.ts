/**
 * One clock for every process of a benchmark, to time a message from one process to another.
 *
 * @module
 */

/** Longest gap between two reads around a tick that still dates the tick. */
const TRUSTED_GAP_MS = 0.01;

/**
 * When `Date.now()` ticked to its current millisecond, on `performance.now()`'s scale: spins until
 * the next tick. `undefined` when the process was paused across the tick (the reads around it
 * are too far apart to date it).
 */
function tick(): number | undefined {
  const start = Date.now();
  let before = performance.now();
  for (;;) {
    const wall = Date.now();
    const after = performance.now();
    if (wall !== start) {
      return after - before < TRUSTED_GAP_MS ? wall - (before + after) / 2 : undefined;
    }
    before = after;
  }
}

/** Dated ticks per calibration; each costs up to 1 ms of spinning. */
const TICKS = 7;

/**
 * The wall clock's offset from `performance.now()`, to within microseconds: the largest of seven
 * dated ticks. A tick is never seen early, but on this VM (kvm-clock) the wall clock is now and
 * then read stale for up to a millisecond after it ticked, with the reads around it microseconds
 * apart (seen from Node, Deno and Python alike): that tick dates late, its offset comes out low. A
 * median of three still took such a tick often enough that processes disagreed by up to 0.6 ms.
 */
function calibrate(previous: number): number {
  let best: number | undefined;
  let dated = 0;
  for (let tries = 0; tries < 4 * TICKS && dated < TICKS; tries++) {
    const offset = tick();
    if (offset === undefined) continue;
    dated++;
    if (best === undefined || offset > best) best = offset;
  }
  return dated < 3 || best === undefined ? previous : best;
}

let offset = calibrate(Date.now() - performance.now());

/**
 * Reads the wall clock's offset again (it may drift against the monotonic clock over minutes).
 * It spins a few ms, so it runs between measurements, never on a timer: a server that stalled
 * every 2 s to calibrate put those stalls into the lag and latency tails it was measuring.
 */
export function recalibrate(): void {
  offset = calibrate(offset);
}

/**
 * Milliseconds since the epoch with sub-millisecond resolution, the same in every process.
 *
 * `performance.timeOrigin + performance.now()` is not: each process fixes its origin from the
 * wall clock once, and long-running processes on this VM came to disagree by milliseconds (lags
 * came out negative). A lower bound of the offset taken from `Date.now()` on each call was off by
 * up to 1 ms when calls came once per millisecond at the same phase (writes 1 ms apart). Here each
 * process dates the wall clock's millisecond ticks on its monotonic clock.
 */
export function now(): number {
  return performance.now() + offset;
}
